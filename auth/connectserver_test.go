package auth

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/internal/freeport"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// do sends a request to the connect server and returns the status and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("%s %s sent a CORS header", req.Method, req.URL)
	}
	return resp.StatusCode, string(body)
}

func formPost(t *testing.T, link string, form url.Values, mutate func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mutate != nil {
		mutate(req)
	}
	return do(t, req)
}

func TestConnectServerAPIKeyForm(t *testing.T) {
	f := newManagerFixture(t)
	m := f.manager(t, &config.Config{}, &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}})
	cs := m.ConnectServer()
	t.Cleanup(func() { cs.Close() })
	ctx := t.Context()
	if cs.Addr() != "" {
		t.Fatal("the server started before the first link")
	}
	link, err := cs.NewLink(ctx, "petstore", "main", tools.SchemeAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link.URL, "http://127.0.0.1:") || link.Account.Status != store.AccountInitiated {
		t.Fatalf("link %+v", link)
	}

	// The page says what is connected and for whom.
	req, _ := http.NewRequest(http.MethodGet, link.URL, nil)
	status, body := do(t, req)
	for _, want := range []string{"petstore", "alice", "API key", link.Account.ID} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("page (%d) lacks %q:\n%s", status, want, body)
		}
	}

	attacks := []struct {
		name   string
		mutate func(*http.Request)
		want   int
	}{
		{"foreign Host header (DNS rebinding)", func(r *http.Request) { r.Host = "attacker.example:" + r.URL.Port() }, http.StatusMisdirectedRequest},
		{"form posted from another origin", func(r *http.Request) { r.Header.Set("Origin", "http://attacker.example") }, http.StatusForbidden},
		{"cross-site fetch metadata", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"opaque origin without fetch metadata", func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden},
		{"opaque origin from another site", func(r *http.Request) {
			r.Header.Set("Origin", "null")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			if status, body := formPost(t, link.URL, url.Values{"secret": {"attacker-key"}}, a.mutate); status != a.want {
				t.Fatalf("status %d (%s); want %d", status, body, a.want)
			}
		})
	}
	if status, _ := formPost(t, strings.Replace(link.URL, "/connect/", "/connect/x", 1), url.Values{"secret": {"k"}}, nil); status != http.StatusGone {
		t.Fatalf("unknown token: %d", status)
	}

	// The real submission, from the page's own origin.
	status, body = formPost(t, link.URL, url.Values{"secret": {"pet-form-key-789"}}, func(r *http.Request) { r.Header.Set("Origin", "http://"+r.URL.Host) })
	if status != http.StatusOK || !strings.Contains(body, "is connected for alice") {
		t.Fatalf("submit: %d\n%s", status, body)
	}
	if strings.Contains(body, "pet-form-key-789") {
		t.Fatal("the success page echoes the secret")
	}
	got, err := f.db.ConnectedAccount(ctx, link.Account.ID)
	if err != nil || got.Status != store.AccountActive {
		t.Fatalf("account after submit: %+v, %v", got, err)
	}
	if h, err := authorize(t, m, "petstore", ""); err != nil || h != "X-Api-Key pet-form-key-789" {
		t.Fatalf("authorize: %q, %v", h, err)
	}

	// The link is single-use.
	if status, body := formPost(t, link.URL, url.Values{"secret": {"second"}}, nil); status != http.StatusGone || !strings.Contains(body, "already used") {
		t.Fatalf("reused link: %d %s", status, body)
	}

	// An expired link is refused.
	old, err := cs.NewLink(ctx, "petstore", "", tools.SchemeAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	cs.mu.Lock()
	for _, l := range cs.links {
		if l.account.ID == old.Account.ID {
			l.expires = time.Now().Add(-time.Second)
		}
	}
	cs.mu.Unlock()
	if status, body := formPost(t, old.URL, url.Values{"secret": {"late"}}, nil); status != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("expired link: %d %s", status, body)
	}
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db"), "pet-form-key-789")
	assertNoSecretInFile(t, filepath.Join(f.state, "state.db-wal"), "pet-form-key-789")
}

func TestConnectServerOAuthLink(t *testing.T) {
	srv := authtest.NewOAuthServer(t)
	f, m := oauthManager(t, srv)
	cs := m.ConnectServer()
	t.Cleanup(func() { cs.Close() })
	ctx := t.Context()
	link, err := cs.NewLink(ctx, "demo", "", tools.SchemeOAuth2)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, link.URL, nil)
	if status, body := do(t, req); status != http.StatusOK || !strings.Contains(body, "repo") || !strings.Contains(body, "Continue to 127.0.0.1") {
		t.Fatalf("page: %d\n%s", status, body)
	}
	// Continue: the server redirects to the provider, which redirects back to /callback (a browser follows both).
	status, body := formPost(t, link.URL, url.Values{}, nil)
	if status != http.StatusOK || !strings.Contains(body, "is connected for alice") {
		t.Fatalf("flow: %d\n%s", status, body)
	}
	got, err := f.db.ConnectedAccount(ctx, link.Account.ID)
	if err != nil || got.Status != store.AccountActive {
		t.Fatalf("account: %+v, %v", got, err)
	}
	// A replayed callback fails with a clear page.
	req, _ = http.NewRequest(http.MethodGet, "http://"+cs.Addr()+"/callback?state=replayed&code=code-1", nil)
	if status, body := do(t, req); status != http.StatusBadRequest || !strings.Contains(body, "unknown or already used OAuth state") {
		t.Fatalf("replayed callback: %d %s", status, body)
	}
}

// TestConnectLinkServedByAnotherProcess: with a fixed connect.port, a link made by one process is served by the
// next one on the same state (the first has ended), for the same user only.
func TestConnectLinkServedByAnotherProcess(t *testing.T) {
	f := newManagerFixture(t)
	pet := &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}}
	n, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(n)
	cfg := &config.Config{Connect: config.Connect{Port: n}}
	first := f.manager(t, cfg, pet)
	ctx := t.Context()
	link, err := first.ConnectServer().NewLink(ctx, "petstore", "", tools.SchemeAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.ConnectServer().Addr(); got != "127.0.0.1:"+port {
		t.Fatalf("first process listening on %s, want the fixed port %s", got, port)
	}
	if err := first.ConnectServer().Close(); err != nil {
		t.Fatal(err)
	}

	// Another user's process on that port does not serve alice's link.
	bob := NewManager(ManagerOptions{DB: f.db, Secrets: f.secrets, User: "bob", Config: cfg})
	if err := bob.ConnectServer().Listen(); err != nil {
		t.Fatal(err)
	}
	if got := bob.ConnectServer().Addr(); got != "127.0.0.1:"+port {
		t.Fatalf("bob's process listening on %s, want the fixed port %s", got, port)
	}
	req, _ := http.NewRequest(http.MethodGet, link.URL, nil)
	if status, body := do(t, req); status != http.StatusGone || !strings.Contains(body, "unknown") {
		t.Fatalf("bob's server: %d %s", status, body)
	}
	bob.ConnectServer().Close()

	second := f.manager(t, cfg, pet)
	if second.ConnectServer().Addr() != "" {
		t.Fatal("the server started before Listen")
	}
	if err := second.ConnectServer().Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.ConnectServer().Close() })
	if got := second.ConnectServer().Addr(); got != "127.0.0.1:"+port {
		t.Fatalf("listening on %s, want the fixed port %s", got, port)
	}
	req, _ = http.NewRequest(http.MethodGet, link.URL, nil)
	if status, body := do(t, req); status != http.StatusOK || !strings.Contains(body, link.Account.ID) {
		t.Fatalf("page from the second process: %d %s", status, body)
	}
	status, body := formPost(t, link.URL, url.Values{"secret": {"pet-key-second-process"}}, func(r *http.Request) { r.Header.Set("Origin", "http://"+r.URL.Host) })
	if status != http.StatusOK || !strings.Contains(body, "is connected for alice") {
		t.Fatalf("submit: %d %s", status, body)
	}
	if h, err := authorize(t, second, "petstore", ""); err != nil || h != "X-Api-Key pet-key-second-process" {
		t.Fatalf("authorize: %q, %v", h, err)
	}
	if status, _ := formPost(t, link.URL, url.Values{"secret": {"again"}}, nil); status != http.StatusGone {
		t.Fatalf("reused link: %d", status)
	}
}

// TestCloseFreesFixedPort: when Close returns, the fixed port can be taken at once by the next process, even when
// the server is closed right after it started (before its Serve goroutine has run).
func TestCloseFreesFixedPort(t *testing.T) {
	f := newManagerFixture(t)
	for i := range 50 {
		n, err := freeport.Get()
		if err != nil {
			t.Fatal(err)
		}
		m := f.manager(t, &config.Config{Connect: config.Connect{Port: n}})
		if err := m.ConnectServer().Listen(); err != nil {
			t.Fatal(err)
		}
		if err := m.ConnectServer().Close(); err != nil {
			t.Fatalf("round %d: close: %v", i, err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(n))
		if err != nil {
			t.Fatalf("round %d: port %d still taken after Close: %v", i, n, err)
		}
		ln.Close()
	}
}
