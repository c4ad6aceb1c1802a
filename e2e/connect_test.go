package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolmux/toolmux/auth/authtest"
)

// manageConnections is the connections meta tool under the default prefix.
const manageConnections = "COMPOSIO_MANAGE_CONNECTIONS"

type connectionResult struct {
	Status             string `json:"status"`
	ConnectedAccountID string `json:"connected_account_id"`
	Alias              string `json:"alias"`
	Label              string `json:"label"`
	AuthScheme         string `json:"auth_scheme"`
	RedirectURL        string `json:"redirect_url"`
	Instructions       string `json:"instructions"`
}

type manageData struct {
	Results map[string]connectionResult `json:"results"`
	Summary struct {
		Total     int `json:"total_toolkits"`
		Active    int `json:"active_connections"`
		Initiated int `json:"initiated_connections"`
	} `json:"summary"`
	Message string      `json:"message"`
	Session sessionInfo `json:"session"`
}

// TestConnectAccountEndToEnd connects an account with `toolmux connect --api-key-stdin`, calls a tool with it over
// MCP, reconnects it through COMPOSIO_MANAGE_CONNECTIONS and its connect page, and then checks that neither secret
// appears in the state directory (outside the secret store), the logs or any output.
func TestConnectAccountEndToEnd(t *testing.T) {
	const first, second = "inv-secret-e2e-4711", "inv-second-secret-0815"
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, "\n[secrets]\nstore = \"file\"\n"))
	var outputs []string

	r := h.mustRun(first+"\n", "connect", "inventory", "--api-key-stdin", "--alias", "main")
	outputs = append(outputs, r.stdout, r.stderr)
	if !strings.Contains(r.stdout, "ACTIVE") || !strings.Contains(r.stdout, "(main)") {
		t.Fatalf("connect: %s", r)
	}
	r = h.mustRun("", "connections", "list", "--json")
	outputs = append(outputs, r.stdout, r.stderr)
	var accts []struct{ ID, Status, Toolkit string }
	if err := json.Unmarshal([]byte(r.stdout), &accts); err != nil || len(accts) != 1 || accts[0].Status != "ACTIVE" {
		t.Fatalf("connections list: %v\n%s", err, r)
	}

	ctx := withTimeout(t, 2*time.Minute)
	s := h.serve(ctx, nil)
	d := s.execute(ctx, t, nil, call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}}, call{"INVENTORY_GET_BROKEN", map[string]any{}})
	if !d.Results[0].Response.Successful {
		t.Fatalf("call with the connected account failed: %+v", d.Results[0])
	}
	if got := api.authorizations(); len(got) == 0 || got[0] != "Bearer "+first {
		t.Fatalf("the API saw %q; want the connected token", got)
	}
	raw, _ := json.Marshal(d)
	outputs = append(outputs, string(raw))

	env := s.callTool(ctx, t, manageConnections, map[string]any{"toolkits": []string{"inventory", "nosuch"}}, nil)
	outputs = append(outputs, string(env.Data))
	m := decode[manageData](t, env.Data)
	if got := m.Results["inventory"]; got.Status != "ACTIVE" || got.ConnectedAccountID != accts[0].ID {
		t.Fatalf("manage: %s", env.Data)
	}
	if m.Results["nosuch"].Status != "FAILED" || !strings.Contains(m.Results["nosuch"].Instructions, "inventory") {
		t.Fatalf("unknown toolkit: %s", env.Data)
	}

	// Reconnect through a link: the page's API-key form replaces the secret of the same account.
	env = s.callTool(ctx, t, manageConnections, map[string]any{"toolkits": []string{"inventory"}, "reinitiate_all": true}, nil)
	outputs = append(outputs, string(env.Data))
	m = decode[manageData](t, env.Data)
	link := m.Results["inventory"]
	if link.Status != "INITIATED" || !strings.HasPrefix(link.RedirectURL, "http://127.0.0.1:") || m.Summary.Initiated != 1 {
		t.Fatalf("reinitiate: %s", env.Data)
	}
	u, _ := url.Parse(link.RedirectURL)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, link.RedirectURL, strings.NewReader(url.Values{"secret": {second}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+u.Host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "is connected") {
		t.Fatalf("connect page: %d\n%s", resp.StatusCode, page)
	}
	outputs = append(outputs, string(page))
	env = s.callTool(ctx, t, manageConnections, map[string]any{"toolkits": []string{"inventory"}, "wait_seconds": 5}, nil)
	outputs = append(outputs, string(env.Data))
	if m = decode[manageData](t, env.Data); m.Results["inventory"].Status != "ACTIVE" {
		t.Fatalf("after the form: %s", env.Data)
	}
	s.execute(ctx, t, nil, call{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}})
	if got := api.authorizations(); got[len(got)-1] != "Bearer "+second {
		t.Fatalf("after reconnecting the API saw %q", got[len(got)-1])
	}
	r = h.mustRun("", "logs", "-n", "20", "--json")
	outputs = append(outputs, r.stdout, r.stderr)
	s.close(t)
	outputs = append(outputs, s.stderr.String())

	// No secret outside the secret store (secrets.json, the file store this config chose).
	for _, secret := range []string{first, second} {
		for i, out := range outputs {
			if strings.Contains(out, secret) {
				t.Errorf("output %d contains a secret:\n%s", i, out)
			}
		}
		err := filepath.WalkDir(h.stateDir, func(path string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() || filepath.Base(path) == "secrets.json" {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s contains a secret", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// oauthConfig adds an OAuth2 client for the inventory toolkit against the test authorization server.
func oauthConfig(srv *authtest.OAuthServer) string {
	return fmt.Sprintf(`
[auth.inventory]
scheme = "OAUTH2"
client_id = %s
scopes = ["repo"]
auth_url = %s
token_url = %s
device_url = %s

[secrets]
store = "file"
`, tomlString(srv.ClientID), tomlString(srv.URL+"/authorize"), tomlString(srv.URL+"/token"), tomlString(srv.URL+"/device"))
}

// TestConnectOAuthFromCLI connects with `toolmux connect --device` and with the browser flow of `toolmux connect`
// (a client following the printed link plays the browser), then calls a tool with each token.
func TestConnectOAuthFromCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the device flow polls at the server's 1 s interval")
	}
	t.Parallel()
	srv := authtest.NewOAuthServer(t)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, oauthConfig(srv)))

	r := h.mustRun("", "connect", "inventory", "--device", "--alias", "dev")
	if !strings.Contains(r.stdout, "WDJB-MJHT") || !strings.Contains(r.stdout, srv.URL+"/activate") || !strings.Contains(r.stdout, "ACTIVE") {
		t.Fatalf("device flow: %s", r)
	}
	h.mustRun("", "tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"42"}`)
	if got := api.authorizations(); len(got) != 1 || !strings.HasPrefix(got[0], "Bearer access-device-") {
		t.Fatalf("the API saw %q; want the device-flow token", got)
	}

	// The browser flow: the command prints a link to its local connect page and waits.
	cmd := h.command("connect", "inventory", "--alias", "web")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	var link string
	for lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); strings.HasPrefix(l, "http://127.0.0.1:") {
			link = l
			break
		}
	}
	if link == "" {
		t.Fatalf("no link printed; stderr:\n%s", stderr.String())
	}
	// Continue on the page: the connect server redirects to the provider, which redirects back to /callback.
	resp, err := http.PostForm(link, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "is connected for e2e") {
		t.Fatalf("connect page flow: %d\n%s", resp.StatusCode, page)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "ACTIVE") {
		t.Fatalf("connect exited with %v; stdout %s; stderr:\n%s", err, rest, stderr.String())
	}
	// The web account is now the most recently connected one.
	h.mustRun("", "tools", "exec", "INVENTORY_GET_ITEM", "--args", `{"item_id":"42"}`)
	if got := api.authorizations(); len(got) != 2 || !strings.HasPrefix(got[1], "Bearer access-code-") {
		t.Fatalf("the API saw %q; want the authorization-code token last", got)
	}
	r = h.mustRun("", "connections", "list", "--json")
	if strings.Count(r.stdout, `"status": "ACTIVE"`) != 2 {
		t.Fatalf("connections list: %s", r)
	}
}

// TestConnectLabelsAccount connects the curated GitHub toolkit (pointed at a local API) with a token: its "who am
// I" call names the account, and the name shows in the connect output, `connections list` and
// COMPOSIO_MANAGE_CONNECTIONS.
func TestConnectLabelsAccount(t *testing.T) {
	const token, login = "ghp-e2e-label-secret", "octocat-e2e"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path != "/user":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
		case r.Header.Get("Authorization") != "Bearer "+token:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Bad credentials"}`)
		default:
			fmt.Fprintf(w, `{"login":%q,"id":1,"type":"User"}`, login)
		}
	}))
	t.Cleanup(api.Close)
	h := newHarness(t)
	h.writeConfig(fmt.Sprintf("[builtin.base_url]\ngithub = %s\n\n[secrets]\nstore = \"file\"\n", tomlString(api.URL)))

	r := h.mustRun(token+"\n", "connect", "github", "--api-key-stdin")
	if !strings.Contains(r.stdout, "connected github as "+login) {
		t.Fatalf("connect: %s", r)
	}
	r = h.mustRun("", "connections", "list")
	if !strings.Contains(r.stdout, "LABEL") || !strings.Contains(r.stdout, login) {
		t.Fatalf("connections list: %s", r)
	}
	ctx := withTimeout(t, 2*time.Minute)
	s := h.serve(ctx, nil)
	env := s.callTool(ctx, t, manageConnections, map[string]any{"toolkits": []string{"github"}}, nil)
	if got := decode[manageData](t, env.Data).Results["github"]; got.Status != "ACTIVE" || got.Label != login {
		t.Fatalf("manage: %s", env.Data)
	}
	s.close(t)
	if strings.Contains(s.stderr.String(), token) {
		t.Error("the server log contains the token")
	}
}

// TestAuthConfigsFromCLI keeps the OAuth client in the state with `toolmux auth-configs set` (the client secret on
// stdin, into the secret store), connects with the device flow through it, and removes it again.
func TestAuthConfigsFromCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the device flow polls at the server's 1 s interval")
	}
	t.Parallel()
	const clientSecret = "client-secret-e2e-9921"
	srv := authtest.NewOAuthServer(t)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, "\n[secrets]\nstore = \"file\"\n"))

	if r := h.run("", "connect", "inventory", "--device"); r.code == 0 || !strings.Contains(r.stderr, "auth-configs set inventory") {
		t.Fatalf("connect without a client: %s", r)
	}
	h.mustRun(clientSecret+"\n", "auth-configs", "set", "inventory", "--client-id", srv.ClientID, "--client-secret-stdin",
		"--scopes", "repo", "--auth-url", srv.URL+"/authorize", "--token-url", srv.URL+"/token", "--device-url", srv.URL+"/device")
	r := h.mustRun("", "auth-configs", "list", "--json")
	var list []struct {
		Toolkit, Source string
		ClientID        string `json:"client_id"`
		ClientSecretRef string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0].Toolkit != "inventory" ||
		list[0].Source != "state" || list[0].ClientID != srv.ClientID || list[0].ClientSecretRef != "keyring" {
		t.Fatalf("auth-configs list: %v\n%s", err, r)
	}
	if r := h.run("", "auth-configs", "set", "inventory", "--client-secret-ref", "plain-secret"); r.code != 2 {
		t.Fatalf("a plain client secret was accepted: %s", r)
	}

	r = h.mustRun("", "connect", "inventory", "--device")
	if !strings.Contains(r.stdout, "ACTIVE") {
		t.Fatalf("device flow with the stored client: %s", r)
	}
	h.mustRun("", "auth-configs", "remove", "inventory")
	if r := h.run("", "auth-configs", "remove", "inventory"); r.code != 2 {
		t.Fatalf("removing twice: %s", r)
	}
	err := filepath.WalkDir(h.stateDir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || filepath.Base(path) == "secrets.json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, []byte(clientSecret)) {
			t.Errorf("%s contains the client secret", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
