package auth

// This file is the connect server: the local web pages through which a user connects an account that an agent asked
// for. Decisions:
//   - Started lazily (on the first link) on 127.0.0.1 with a random port, or config connect.port (a free one when
//     that is taken); it lives as long as the process.
//   - A link is http://127.0.0.1:PORT/connect/TOKEN: TOKEN is 130 random bits, kept only as a SHA-256 hash (in
//     memory and in connect_requests). Showing the page does not use the link; submitting it does, once, before it
//     expires (LinkTTL). A token this process did not make is looked up in connect_requests, so with a fixed port
//     a link outlives the process that made it; the OAuth flow itself starts in the process that serves the page.
//   - Every request's Host header must name the listener (127.0.0.1:PORT or localhost:PORT): a DNS-rebinding page
//     on another name reaching the port is refused. A POST whose Origin (or Sec-Fetch-Site) shows another site is
//     refused. No CORS headers are ever sent; pages forbid framing and load nothing external.
//   - The OAuth callback is /callback on the same listener; the state check (CompleteAuthCode) is what binds it to
//     an attempt.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

//go:embed pages/page.html
var pageFS embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFS, "pages/page.html"))

// ConnectServer serves connect links for one Manager. Use Manager.ConnectServer.
type ConnectServer struct {
	m *Manager

	mu    sync.Mutex
	srv   *http.Server
	ln    net.Listener
	host  string // 127.0.0.1:PORT once started
	links map[string]*link
}

type link struct {
	account store.ConnectedAccount
	expires time.Time
	used    bool
}

// Link is a connect link handed to a user.
type Link struct {
	URL     string
	Account store.ConnectedAccount
	Expires time.Time
}

// ConnectServer returns the Manager's connect server (not started until the first link).
func (m *Manager) ConnectServer() *ConnectServer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.connect == nil {
		m.connect = &ConnectServer{m: m, links: map[string]*link{}}
	}
	return m.connect
}

// start listens on 127.0.0.1:0 once.
func (c *ConnectServer) start() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		return c.host, nil
	}
	var ln net.Listener
	var err error
	if p := c.m.connectPort; p > 0 {
		if ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err != nil {
			c.m.log.Info("the configured connect port is taken (another toolmux process?); this process's links use a free port",
				"connect.port", p, "err", err)
		}
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", fmt.Errorf("start the connect server on 127.0.0.1: %w", err)
		}
	}
	c.ln = ln
	c.host = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect/{token}", c.showLink)
	mux.HandleFunc("POST /connect/{token}", c.submitLink)
	mux.HandleFunc("GET /callback", c.callback)
	c.srv = &http.Server{Handler: c.guard(mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	go func() { _ = c.srv.Serve(ln) }()
	c.m.log.Info("connect server listening", "addr", c.host)
	return c.host, nil
}

// Listen starts the server now when config connect.port fixes its port, so that links made by other toolmux
// processes on the same state are served here; with a random port it does nothing (the first link starts it).
func (c *ConnectServer) Listen() error {
	if c.m.connectPort == 0 {
		return nil
	}
	_, err := c.start()
	return err
}

// Close stops the server. The port is free when it returns: the listener is closed here as well as by Shutdown,
// because Shutdown only closes the listeners Serve has registered, and the goroutine running Serve may not have
// started yet; the next process to use a fixed connect.port must find it free.
func (c *ConnectServer) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if cerr := c.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = fmt.Errorf("close the connect server's listener: %w", cerr)
	}
	return err
}

// Addr is the listener's host:port, "" before the first link.
func (c *ConnectServer) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.host
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewLink creates an INITIATED account for toolkit (or reuses the one with alias) and a link through which the user
// completes it with scheme: OAUTH2 (the browser flow) or API_KEY, BEARER_TOKEN or BASIC (a form).
func (c *ConnectServer) NewLink(ctx context.Context, toolkit, alias, scheme string) (Link, error) {
	switch scheme {
	case tools.SchemeOAuth2:
		if _, err := c.m.OAuthConfig(ctx, toolkit, ""); err != nil {
			return Link{}, err
		}
	case tools.SchemeAPIKey, tools.SchemeBearerToken, tools.SchemeBasic:
	default:
		return Link{}, fmt.Errorf("connect %s: scheme %q cannot be connected through a link", toolkit, scheme)
	}
	host, err := c.start()
	if err != nil {
		return Link{}, err
	}
	var scopes []string
	if scheme == tools.SchemeOAuth2 {
		oc, _ := c.m.oauthConfig(ctx, toolkit, "", false)
		scopes = oc.Scopes
	}
	acct, err := c.m.startAccount(ctx, toolkit, alias, scheme, scopes)
	if err != nil {
		return Link{}, err
	}
	token := rand.Text()
	l := &link{account: acct, expires: time.Now().Add(LinkTTL)}
	h := hashToken(token)
	if err := c.m.db.CreateConnectRequest(ctx, h, acct.ID, scheme, l.expires); err != nil {
		return Link{}, err
	}
	c.mu.Lock()
	now := time.Now()
	for k, old := range c.links {
		if now.After(old.expires) {
			delete(c.links, k)
		}
	}
	c.links[h] = l
	c.mu.Unlock()
	return Link{URL: "http://" + host + "/connect/" + token, Account: acct, Expires: l.expires}, nil
}

// guard refuses foreign Host headers (DNS rebinding) and cross-site form posts, and sets the page headers.
func (c *ConnectServer) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		host := c.host
		c.mu.Unlock()
		_, port, _ := net.SplitHostPort(host)
		if r.Host != host && r.Host != "localhost:"+port {
			http.Error(w, "wrong Host header: this server answers only to "+host, http.StatusMisdirectedRequest)
			return
		}
		if r.Method == http.MethodPost {
			site := r.Header.Get("Sec-Fetch-Site")
			// A browser sends Origin "null" when the page's referrer policy hides it; then only its fetch metadata
			// can vouch for a same-origin post.
			origin := r.Header.Get("Origin")
			if origin != "" && origin != "http://"+r.Host && !(origin == "null" && site == "same-origin") {
				http.Error(w, "cross-origin form posts are refused", http.StatusForbidden)
				return
			}
			if site != "" && site != "same-origin" && site != "none" {
				http.Error(w, "cross-site form posts are refused", http.StatusForbidden)
				return
			}
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin: the form post carries its Origin; the provider never sees the link (its token) as referrer.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// pageData fills page.html.
type pageData struct {
	Title, Error, Success                 string
	Toolkit, User, Account, Alias, Scheme string
	Label                                 string
	Scopes, Provider, Store, Action       string
	Form, Done                            bool
}

func (c *ConnectServer) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}

func (c *ConnectServer) errorPage(w http.ResponseWriter, status int, msg string) {
	c.render(w, status, pageData{Title: "Could not connect", Error: msg})
}

// lookup finds a usable link (not used, not expired) without using it: one this process made, else one another
// process made for this Manager's user (connect_requests).
func (c *ConnectServer) lookup(ctx context.Context, token string) (*link, error) {
	h := hashToken(token)
	c.mu.Lock()
	l, ok := c.links[h]
	c.mu.Unlock()
	if !ok {
		l = c.stored(ctx, h)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case l == nil:
		return nil, errors.New("this connect link is unknown (a link works only in the toolmux process that made it, unless connect.port is fixed); ask the agent for a new one")
	case l.used:
		return nil, fmt.Errorf("%w; ask the agent for a new one", store.ErrConnectRequestUsed)
	case time.Now().After(l.expires):
		return nil, fmt.Errorf("%w; ask the agent for a new one", store.ErrConnectRequestExpired)
	}
	return l, nil
}

// stored loads the link tokenHash from connect_requests when its account belongs to this Manager's user, and keeps
// it with the links of this process; nil when there is none.
func (c *ConnectServer) stored(ctx context.Context, tokenHash string) *link {
	req, err := c.m.db.ConnectRequest(ctx, tokenHash)
	if err != nil {
		return nil
	}
	acct, err := c.m.db.ConnectedAccount(ctx, req.AccountID)
	if err != nil || acct.UserID != c.m.user {
		return nil
	}
	l := &link{account: acct, expires: req.ExpiresAt, used: !req.UsedAt.IsZero()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if known, ok := c.links[tokenHash]; ok {
		return known
	}
	c.links[tokenHash] = l
	return l
}

func (c *ConnectServer) describe(ctx context.Context, l *link) pageData {
	d := pageData{Toolkit: l.account.Toolkit, User: l.account.UserID, Account: l.account.ID, Alias: l.account.Alias,
		Scheme: l.account.AuthScheme, Scopes: strings.Join(l.account.Scopes, " "), Label: l.account.Label}
	if d.Scheme == tools.SchemeOAuth2 {
		d.Provider = "the provider"
		if oc, err := c.m.oauthConfig(ctx, l.account.Toolkit, "", false); err == nil {
			if u, err := url.Parse(oc.Endpoint.AuthURL); err == nil && u.Host != "" {
				d.Provider = u.Host
			}
		}
	}
	d.Store = "the OS keychain"
	if c.m.secrets.Kind() == StoreFile {
		d.Store = "a file readable only by you"
	}
	return d
}

func (c *ConnectServer) showLink(w http.ResponseWriter, r *http.Request) {
	l, err := c.lookup(r.Context(), r.PathValue("token"))
	if err != nil {
		c.errorPage(w, http.StatusGone, err.Error())
		return
	}
	d := c.describe(r.Context(), l)
	d.Title, d.Form, d.Action = "Connect "+l.account.Toolkit, true, "/connect/"+r.PathValue("token")
	c.render(w, http.StatusOK, d)
}

func (c *ConnectServer) submitLink(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	l, err := c.lookup(r.Context(), token)
	if err != nil {
		c.errorPage(w, http.StatusGone, err.Error())
		return
	}
	// The database is the authority on single use (it also records the attempt).
	if _, _, err := c.m.db.UseConnectRequest(r.Context(), hashToken(token)); err != nil {
		c.errorPage(w, http.StatusGone, err.Error()+"; ask the agent for a new link")
		return
	}
	c.mu.Lock()
	l.used = true
	c.mu.Unlock()
	if l.account.AuthScheme == tools.SchemeOAuth2 {
		authURL, err := c.m.beginAuthCodeFor(r.Context(), l.account, "http://"+r.Host+"/callback")
		if err != nil {
			c.errorPage(w, http.StatusBadRequest, err.Error())
			return
		}
		http.Redirect(w, r, authURL, http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, http.StatusBadRequest, "the form could not be read: "+err.Error())
		return
	}
	acct, err := c.m.completeSecret(r.Context(), l.account, r.PostForm.Get("username"), r.PostForm.Get("secret"))
	if err != nil {
		c.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	d := c.describe(r.Context(), &link{account: acct})
	d.Title, d.Success, d.Done = "Connected", fmt.Sprintf("%s is connected for %s.", acct.Toolkit, acct.UserID), true
	c.render(w, http.StatusOK, d)
}

// maxFormBytes bounds a connect form.
const maxFormBytes = 64 << 10

func (c *ConnectServer) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	acct, err := c.m.CompleteAuthCode(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), q.Get("error_description"))
	if err != nil {
		c.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	d := c.describe(r.Context(), &link{account: acct})
	d.Title, d.Success, d.Done = "Connected", fmt.Sprintf("%s is connected for %s.", acct.Toolkit, acct.UserID), true
	c.render(w, http.StatusOK, d)
}
