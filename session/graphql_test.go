package session

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/graphql"
	"github.com/toolmux/toolmux/tools/openapi"
)

// The catalog runs a GraphQL toolkit (Linear) on the GraphQL executor at its configured base URL, and a toolkit's
// who-am-I call gets the arguments its manifest declares (Gmail's userId "me").
func TestCatalogRunsGraphQLAndWhoAmIArguments(t *testing.T) {
	const key = "lin_api_sessiontest"
	linear := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			OperationName string `json:"operationName"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.Method != http.MethodPost || r.URL.Path != "/graphql" || r.Header.Get("Authorization") != key || body.OperationName != "Viewer" {
			t.Errorf("Linear got %s %s auth %q operation %q", r.Method, r.URL.Path, r.Header.Get("Authorization"), body.OperationName)
		}
		fmt.Fprint(w, `{"data":{"viewer":{"id":"u-1","name":"Ana","email":"ana@example.com"}}}`)
	}))
	defer linear.Close()
	gmail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/gmail/v1/users/me/profile" {
			t.Errorf("Gmail got %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		fmt.Fprint(w, `{"emailAddress":"ana@gmail.test","messagesTotal":3}`)
	}))
	defer gmail.Close()

	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf("[builtin.base_url]\nlinear = %q\ngmail = %q\n", linear.URL+"/graphql", gmail.URL)), filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cat, err := LoadCatalog(ctx, CatalogOptions{Config: cfg, StateDir: dir,
		Auth: openapi.StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "header", Name: "Authorization"}, Secret: key}})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if _, ok := cat.Executor("linear").(*graphql.Executor); !ok {
		t.Fatalf("linear runs on %T, want *graphql.Executor", cat.Executor("linear"))
	}
	for toolkit, want := range map[string]string{"linear": "ana@example.com", "gmail": "ana@gmail.test"} {
		label, err := cat.AccountLabel(ctx, store.ConnectedAccount{ID: "acct-1", Toolkit: toolkit})
		if err != nil || label != want {
			t.Errorf("%s label = %q, %v; want %q", toolkit, label, err, want)
		}
	}
}
