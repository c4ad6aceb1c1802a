package graphql

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/tools"
)

type headerAuth struct{ value string }

func (h headerAuth) Authorize(_ context.Context, _, _ string, req *http.Request) error {
	req.Header.Set("Authorization", h.value)
	return nil
}

func testTool(t *testing.T) *tools.Tool {
	t.Helper()
	tool, err := NewTool("acme", ToolSpec{Slug: "ACME_ME", Description: "Me.", Query: `query Me { me { id } }`, ResultPath: "me"})
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

func TestExecutorEdgeCases(t *testing.T) {
	const secret = "Bearer s3cr3t-token-value"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		max     int64
		want    []string
		none    []string
	}{
		{
			name: "secret echoed in an error is scrubbed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"errors":[{"message":"bad token `+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}]}`)
			},
			want: []string{"bad token REDACTED"}, none: []string{"s3cr3t"},
		},
		{
			name: "redirect is not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					t.Error("the redirect was followed")
				}
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			},
			want: []string{"307", "set the toolkit's base_url to the GraphQL endpoint itself"},
		},
		{
			name: "response too large",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"data":{"me":{"id":"`+strings.Repeat("x", 200)+`"}}}`)
			},
			max: 100, want: []string{"larger than 100 bytes"},
		},
		{
			name:    "data without the result path",
			handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"data":{"other":1}}`) },
			want:    []string{`the answer's data has no "me"`},
		},
		{
			name:    "neither data nor errors",
			handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"data":null}`) },
			want:    []string{"neither data nor errors"},
		},
		{
			name:    "2xx that is not GraphQL",
			handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `<html>maintenance</html>`) },
			want:    []string{"not a GraphQL response"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			ex := &Executor{Endpoint: srv.URL + "/graphql", Toolkit: "acme", Auth: headerAuth{secret}, MaxResponseBytes: tt.max}
			_, err := ex.Execute(context.Background(), tools.Call{Tool: testTool(t)})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range tt.none {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q contains %q", err, n)
				}
			}
		})
	}
}

func TestExecutorRefusals(t *testing.T) {
	ex := &Executor{Endpoint: "http://127.0.0.1:1/graphql", Toolkit: "acme"}
	if _, err := ex.Execute(context.Background(), tools.Call{Tool: &tools.Tool{Slug: "X"}}); err == nil || !strings.Contains(err.Error(), "no GraphQL binding") {
		t.Errorf("tool without binding: %v", err)
	}
	if _, err := (&Executor{Toolkit: "acme"}).Execute(context.Background(), tools.Call{Tool: testTool(t)}); err == nil || !strings.Contains(err.Error(), "no GraphQL endpoint") {
		t.Errorf("no endpoint: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ex.Execute(ctx, tools.Call{Tool: testTool(t)}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("canceled call: %v", err)
	}
}
