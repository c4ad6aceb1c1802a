package auth

// Headless Chromium (driven by chromedp) clicks through the connect pages as a user would: the API-key form, the
// OAuth2 authorization-code flow through the test provider and back to the callback, and a page on another origin
// that tries to post the form (the browser sends its Origin; the connect server refuses it).

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/toolmux/toolmux/auth/authtest"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// requireChromium returns the Chromium binary: skipped when it is missing, a failure under CI (.ci/run installs it).
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is missing; .ci/run installs it (apt chromium)")
	}
	t.Skip("chromium is missing (apt-get install chromium)")
	return ""
}

// browser starts one headless Chromium for the test and returns a context for a new tab in it.
func browser(t *testing.T) func(t *testing.T) context.Context {
	t.Helper()
	path := requireChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // root in a container has no user namespaces for the sandbox
		chromedp.DisableGPU,
		chromedp.Flag("no-proxy-server", true), // the pages are on 127.0.0.1; never ask a proxy
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser, on a context without a timeout
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return func(t *testing.T) context.Context {
		tab, cancelTab := chromedp.NewContext(browserCtx)
		// A bound against a hung browser, not a timing assertion.
		ctx, cancel := context.WithTimeout(tab, 90*time.Second)
		t.Cleanup(func() { cancel(); cancelTab() })
		return ctx
	}
}

func TestConnectPagesInChromium(t *testing.T) {
	newTab := browser(t)

	t.Run("API key form", func(t *testing.T) {
		f := newManagerFixture(t)
		m := f.manager(t, &config.Config{}, &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}})
		m.SetLabeler(func(context.Context, store.ConnectedAccount) (string, error) { return "pet-owner", nil })
		t.Cleanup(func() { m.ConnectServer().Close() })
		link, err := m.ConnectServer().NewLink(t.Context(), "petstore", "main", tools.SchemeAPIKey)
		if err != nil {
			t.Fatal(err)
		}
		tab := newTab(t)
		err = chromedp.Do(tab,
			chromedp.Navigate(link.URL),
			chromedp.WaitVisible(chromedp.ID("secret")),
		)
		if err != nil {
			t.Fatal(err)
		}
		toolkit, user := text(t, tab, "toolkit"), text(t, tab, "user")
		err = chromedp.Do(tab,
			chromedp.SendKeys(chromedp.ID("secret"), "pet-browser-key-314"),
			chromedp.Click(chromedp.ID("connect")),
			chromedp.WaitVisible(chromedp.ID("success")),
		)
		if err != nil {
			t.Fatal(err)
		}
		success, label := text(t, tab, "success"), text(t, tab, "label")
		if toolkit != "petstore" || user != "alice" || !strings.Contains(success, "petstore is connected for alice") || label != "pet-owner" {
			t.Fatalf("pages showed toolkit %q, user %q, success %q, label %q", toolkit, user, success, label)
		}
		if h, err := authorize(t, m, "petstore", ""); err != nil || h != "X-Api-Key pet-browser-key-314" {
			t.Fatalf("after the form: %q, %v", h, err)
		}
	})

	t.Run("OAuth2 authorization code", func(t *testing.T) {
		srv := authtest.NewOAuthServer(t)
		f, m := oauthManager(t, srv)
		t.Cleanup(func() { m.ConnectServer().Close() })
		link, err := m.ConnectServer().NewLink(t.Context(), "demo", "", tools.SchemeOAuth2)
		if err != nil {
			t.Fatal(err)
		}
		tab := newTab(t)
		if err := chromedp.Do(tab, chromedp.Navigate(link.URL), chromedp.WaitVisible(chromedp.ID("continue"))); err != nil {
			t.Fatal(err)
		}
		scopes := text(t, tab, "scopes")
		// To the provider, which approves at once and sends the browser back to the callback.
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("success"))); err != nil {
			t.Fatal(err)
		}
		success := text(t, tab, "success")
		if scopes != "repo" || !strings.Contains(success, "demo is connected for alice") {
			t.Fatalf("pages showed scopes %q, success %q", scopes, success)
		}
		got, err := f.db.ConnectedAccount(t.Context(), link.Account.ID)
		if err != nil || got.Status != store.AccountActive {
			t.Fatalf("account after the flow: %+v, %v", got, err)
		}
		if h, err := authorize(t, m, "demo", ""); err != nil || !strings.HasPrefix(h, "Bearer access-code-") {
			t.Fatalf("after the flow: %q, %v", h, err)
		}
	})

	t.Run("form posted from another origin", func(t *testing.T) {
		f := newManagerFixture(t)
		m := f.manager(t, &config.Config{}, &tools.Toolkit{Slug: "petstore", AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}}})
		t.Cleanup(func() { m.ConnectServer().Close() })
		link, err := m.ConnectServer().NewLink(t.Context(), "petstore", "", tools.SchemeAPIKey)
		if err != nil {
			t.Fatal(err)
		}
		// A page on another origin (another port of 127.0.0.1) that submits the connect form itself.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s"><input name="secret" value="attacker-key"></form>
<script>document.getElementById("f").submit()</script>`, link.URL)
		}))
		t.Cleanup(evil.Close)
		tab := newTab(t)
		err = chromedp.Do(tab,
			chromedp.Navigate(evil.URL),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Poll[bool](`location.href.includes("/connect/") && document.readyState === "complete"`)(ctx, tg)
				return err
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "refused") {
			t.Fatalf("the cross-origin post got %q", body)
		}
		got, err := f.db.ConnectedAccount(t.Context(), link.Account.ID)
		if err != nil || got.Status != store.AccountInitiated {
			t.Fatalf("account after the attack: %+v, %v", got, err)
		}
	})
}

// text returns the text of the element with id on the tab's page.
func text(t *testing.T, tab context.Context, id string) string {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("#%s: %v", id, err)
	}
	return strings.TrimSpace(v)
}
