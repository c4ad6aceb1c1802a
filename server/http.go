package server

// This file is the streamable HTTP transport (`toolmux serve --http`): go-sdk's StreamableHTTPHandler at /mcp behind
// toolmux's own checks. Decisions:
//   - Each MCP session is a toolmux session of its own, built by the same New as the stdio server: own filter view,
//     memory, workbench files and sandbox, sharing the process-wide catalog. A request may name the session with the
//     Toolmux-Session header (or ?session=NAME) to resume it; without a name the session is ephemeral. Two MCP
//     sessions naming the same session of the same user share it; it closes with the last of them.
//   - A bearer token decides the user (the users table keeps only its SHA-256). The user is bound to the MCP session
//     (go-sdk refuses another user's requests on it), and is put in every request's context so the process-wide
//     catalog's executors authorize calls with that user's accounts (UserAuth).
//   - Order of checks: Host and Origin (403, DNS rebinding), bearer token (401 with WWW-Authenticate), the user's
//     token bucket (429 with Retry-After), body size (413). An unauthenticated request never reaches the SDK.
//   - Shutdown stops accepting, waits (bounded) for in-flight POSTs, then closes every session, which stops their
//     workbench processes and ends open SSE streams.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	tmauth "github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// SessionHeader names the toolmux session to create or resume; the initialize response carries the session's name in
// it. SessionQuery is the same as a URL query parameter, for clients that cannot set headers.
const (
	SessionHeader = "Toolmux-Session"
	SessionQuery  = "session"
	// MCPPath is where the MCP endpoint is served.
	MCPPath = "/mcp"
)

// Defaults of HTTPOptions' zero values.
const (
	DefaultSessionTimeout = 30 * time.Minute
	DefaultMaxBodyBytes   = 4 << 20
	DefaultRateLimit      = 20
	DefaultRateBurst      = 40
	DefaultShutdownGrace  = 10 * time.Second
	// tokenCacheTTL is how long a verified token is trusted without asking the store: a removed user is refused
	// within this time.
	tokenCacheTTL = 5 * time.Second
	// failedAuthRate and failedAuthBurst bound requests without a valid token from one address (per second, at once).
	failedAuthRate  = 2
	failedAuthBurst = 30
)

// OpenSessionFunc opens the toolmux session named name of user; an empty name asks for an ephemeral session.
type OpenSessionFunc func(ctx context.Context, user, name string) (*session.Session, error)

// HTTPOptions configures an HTTPHandler.
type HTTPOptions struct {
	// Server is the template of every session's MCP server (Session is ignored).
	Server Options
	// OpenSession opens a session for a new MCP session.
	OpenSession OpenSessionFunc
	// Users verifies bearer tokens; nil with NoAuth set serves every request as NoAuthUser.
	Users *store.DB
	// NoAuth turns bearer tokens off: every request is NoAuthUser. Only for loopback binds (CheckListen).
	NoAuth     bool
	NoAuthUser string
	// SessionTimeout closes idle MCP sessions (0: DefaultSessionTimeout).
	SessionTimeout time.Duration
	// MaxBodyBytes caps request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// RateLimit (requests per second) and RateBurst bound each user (0: the defaults).
	RateLimit float64
	RateBurst int
	// Remote serves beyond loopback: the Host header is checked against AllowedHosts only (when set).
	Remote bool
	// AllowedOrigins and AllowedHosts extend the loopback ones.
	AllowedOrigins []string
	AllowedHosts   []string
	Logger         *slog.Logger
}

// HTTPOptionsFromConfig fills the limits of opts from the config's [http] section.
func HTTPOptionsFromConfig(opts HTTPOptions, c config.HTTP) HTTPOptions {
	opts.SessionTimeout = time.Duration(c.SessionTimeoutMinutes) * time.Minute
	opts.MaxBodyBytes = c.MaxBodyBytes
	opts.RateLimit, opts.RateBurst = c.RateLimit, c.RateBurst
	opts.AllowedOrigins, opts.AllowedHosts = c.AllowedOrigins, c.AllowedHosts
	return opts
}

// HTTPHandler serves MCP over streamable HTTP. Create it with NewHTTPHandler; Close it to end every session.
type HTTPHandler struct {
	opts   HTTPOptions
	log    *slog.Logger
	sdk    http.Handler
	bare   *mcp.Server // answers requests outside any session
	limits *rateLimits
	// failures bounds requests with a missing or wrong token per client address, before the store is asked.
	failures *rateLimits
	tokens   sync.Map // token → tokenEntry
	inner    http.Handler
	stateMu  sync.Mutex
	closing  bool
	calls    sync.WaitGroup // in-flight POSTs
	ncalls   atomic.Int64   // how many
	closers  sync.WaitGroup // goroutines that close sessions
	mu       sync.Mutex
	open     map[string]*openSession // user + "\x00" + name → session
	live     map[*mcp.ServerSession]struct{}
}

type tokenEntry struct {
	user    string
	expires time.Time
}

// openSession is a toolmux session and how many MCP sessions use it.
type openSession struct {
	sess *session.Session
	refs int
}

type ctxKey int

const (
	newServerKey ctxKey = iota
	userKey
)

// NewHTTPHandler returns the handler for MCPPath (and a 404 for every other path).
func NewHTTPHandler(opts HTTPOptions) (*HTTPHandler, error) {
	if opts.OpenSession == nil {
		return nil, errors.New("http handler: OpenSession is required")
	}
	if opts.Users == nil && !opts.NoAuth {
		return nil, errors.New("http handler: a user store is required unless authentication is off")
	}
	if opts.NoAuth && opts.NoAuthUser == "" {
		return nil, errors.New("http handler: authentication is off but no user is named for the requests")
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.RateBurst <= 0 {
		opts.RateBurst = DefaultRateBurst
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &HTTPHandler{
		opts: opts, log: log, limits: newRateLimits(opts.RateLimit, opts.RateBurst), failures: newRateLimits(failedAuthRate, failedAuthBurst),
		open: map[string]*openSession{}, live: map[*mcp.ServerSession]struct{}{},
	}
	h.sdk = mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		srv, _ := r.Context().Value(newServerKey).(*mcp.Server)
		return srv
	}, &mcp.StreamableHTTPOptions{
		SessionTimeout:      opts.SessionTimeout,
		MaxRequestBodyBytes: opts.MaxBodyBytes,
		Logger:              log,
		// toolmux checks Host and Origin itself (checkOrigin), for remote binds too.
		DisableLocalhostProtection: true,
	})
	h.bare = mcp.NewServer(&mcp.Implementation{Name: "toolmux", Title: "toolmux", Version: opts.Server.Version},
		&mcp.ServerOptions{HasTools: true})
	h.inner = http.HandlerFunc(h.serveMCP)
	if !opts.NoAuth {
		// The SDK binds each MCP session to the user of the request that created it and refuses other users' requests.
		h.inner = auth.RequireBearerToken(func(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
			user, err := h.verify(ctx, token)
			if err != nil {
				return nil, err
			}
			return &auth.TokenInfo{UserID: user}, nil
		}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h.inner)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != MCPPath {
		http.Error(w, fmt.Sprintf("not found: the MCP endpoint is %s", MCPPath), http.StatusNotFound)
		return
	}
	if err := h.checkOrigin(r); err != nil {
		http.Error(w, "Forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	user, status, msg := h.authenticate(w, r)
	if status != 0 {
		if status == http.StatusUnauthorized {
			challenge := `Bearer realm="toolmux"` // RFC 6750 §3: no error code when the request had no token
			if r.Header.Get("Authorization") != "" {
				challenge += `, error="invalid_token", error_description="` + strings.ReplaceAll(msg, `"`, `'`) + `"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
		http.Error(w, msg, status)
		return
	}
	if wait, ok := h.limits.take(user, time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		http.Error(w, fmt.Sprintf("rate limit: user %s is over %g requests per second; retry after %s", user,
			h.opts.RateLimit, wait.Round(time.Millisecond)), http.StatusTooManyRequests)
		return
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		http.Error(w, fmt.Sprintf("request body of %d bytes exceeds the limit of %d ([http] max_body_bytes)",
			r.ContentLength, h.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	}
	if r.Method == http.MethodPost {
		h.stateMu.Lock()
		closing := h.closing
		if !closing {
			h.calls.Add(1)
			h.ncalls.Add(1)
		}
		h.stateMu.Unlock()
		if closing {
			w.Header().Set("Connection", "close")
			http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
			return
		}
		defer func() { h.ncalls.Add(-1); h.calls.Done() }()
	}
	h.inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, user)))
}

// serveMCP hands the request to the SDK, first opening a session when the request starts one.
func (h *HTTPHandler) serveMCP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Mcp-Session-Id") != "" {
		h.sdk.ServeHTTP(w, r)
		return
	}
	// Only an initialize starts a session; anything else without a session id (a client's protocol probe, a stray
	// ping) is answered by a server without one, so it costs no session.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("request body exceeds %d bytes ([http] max_body_bytes)", mbe.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !isInitialize(body) {
		h.sdk.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), newServerKey, h.bare)))
		return
	}
	user := r.Context().Value(userKey).(string)
	name := r.Header.Get(SessionHeader)
	if name == "" {
		name = r.URL.Query().Get(SessionQuery)
	}
	if name != "" && !config.ValidSessionName(name) {
		http.Error(w, fmt.Sprintf("%s %q: use letters, digits, '.', '_' or '-' (at most 128)", SessionHeader, name), http.StatusBadRequest)
		return
	}
	sess, err := h.acquire(r.Context(), user, name)
	if err != nil {
		h.log.Error("opening a session", "user", user, "session", name, "err", err)
		http.Error(w, "opening the session failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	opts := h.opts.Server
	opts.Session = sess
	srv, err := New(r.Context(), opts)
	if err != nil {
		h.release(user, sess)
		http.Error(w, "starting the session failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set(SessionHeader, sess.ID())
	h.sdk.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), newServerKey, srv)))
	var connected []*mcp.ServerSession
	for ss := range srv.Sessions() {
		connected = append(connected, ss)
	}
	if len(connected) == 0 { // not an initialize, or it failed: the SDK closed the MCP session
		h.release(user, sess)
		return
	}
	h.mu.Lock()
	for _, ss := range connected {
		h.live[ss] = struct{}{}
	}
	h.mu.Unlock()
	h.log.Info("MCP session opened", "user", user, "session_id", sess.ID())
	h.closers.Add(1)
	go func() {
		defer h.closers.Done()
		for _, ss := range connected {
			_ = ss.Wait() // closed by the client (DELETE), the idle timeout or shutdown
			h.mu.Lock()
			delete(h.live, ss)
			h.mu.Unlock()
		}
		h.log.Info("MCP session closed", "user", user, "session_id", sess.ID())
		h.release(user, sess)
	}()
}

// isInitialize reports whether a POST body (one JSON-RPC message or a batch) holds an initialize request.
func isInitialize(body []byte) bool {
	type msg struct {
		Method string `json:"method"`
	}
	var one msg
	if json.Unmarshal(body, &one) == nil {
		return one.Method == "initialize"
	}
	var batch []msg
	if json.Unmarshal(body, &batch) == nil {
		for _, m := range batch {
			if m.Method == "initialize" {
				return true
			}
		}
	}
	return false
}

// acquire opens the session, or shares the one already open under that name.
func (h *HTTPHandler) acquire(ctx context.Context, user, name string) (*session.Session, error) {
	if name == "" {
		return h.opts.OpenSession(ctx, user, "")
	}
	key := user + "\x00" + name
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.open[key]; ok {
		o.refs++
		return o.sess, nil
	}
	sess, err := h.opts.OpenSession(ctx, user, name)
	if err != nil {
		return nil, err
	}
	h.open[key] = &openSession{sess: sess, refs: 1}
	return sess, nil
}

// release closes the session when no MCP session uses it any more.
func (h *HTTPHandler) release(user string, sess *session.Session) {
	key := user + "\x00" + sess.ID()
	h.mu.Lock()
	if o, ok := h.open[key]; ok && o.sess == sess {
		if o.refs--; o.refs > 0 {
			h.mu.Unlock()
			return
		}
		delete(h.open, key)
	}
	h.mu.Unlock()
	if err := sess.Close(context.Background()); err != nil {
		h.log.Warn("closing session", "user", user, "session_id", sess.ID(), "err", err)
	}
}

// Sessions reports how many toolmux sessions are open.
func (h *HTTPHandler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.live)
}

// Close refuses new calls, waits until in-flight calls finish or ctx ends, then closes every session. It returns
// ctx's error when calls were still running.
func (h *HTTPHandler) Close(ctx context.Context) error {
	h.stateMu.Lock()
	h.closing = true
	h.stateMu.Unlock()
	busy := h.ncalls.Load() > 0
	drained := make(chan struct{})
	go func() { h.calls.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
		if busy {
			// The last answers are written; give clients a moment to read them before their streams close.
			select {
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	case <-ctx.Done():
		err = fmt.Errorf("calls still running at shutdown: %w", ctx.Err())
	}
	h.mu.Lock()
	live := make([]*mcp.ServerSession, 0, len(h.live))
	for ss := range h.live {
		live = append(live, ss)
	}
	h.mu.Unlock()
	for _, ss := range live {
		_ = ss.Close()
	}
	h.closers.Wait()
	return err
}

// authenticate returns the request's user, or an HTTP status and message. A client address whose requests keep
// failing is refused for a while before the store is asked again (429).
func (h *HTTPHandler) authenticate(w http.ResponseWriter, r *http.Request) (user string, status int, msg string) {
	if h.opts.NoAuth {
		return h.opts.NoAuthUser, 0, ""
	}
	client := r.RemoteAddr
	if host, _, err := net.SplitHostPort(client); err == nil {
		client = host
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if e, hit := h.tokens.Load(token); ok && hit && time.Now().Before(e.(tokenEntry).expires) {
		return e.(tokenEntry).user, 0, ""
	}
	if wait, ok := h.failures.peek(client, time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return "", http.StatusTooManyRequests, "too many requests with a missing or wrong token from this address; retry later"
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		h.failures.take(client, time.Now())
		return "", http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token> (create one with `toolmux users add NAME`)"
	}
	user, err := h.verify(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		h.failures.take(client, time.Now())
		return "", http.StatusUnauthorized, "unknown or revoked token (see `toolmux users list`)"
	case err != nil:
		h.log.Error("verifying a token", "err", err)
		return "", http.StatusInternalServerError, "verifying the token failed"
	}
	return user, 0, ""
}

// verify maps a token to its user, caching answers for tokenCacheTTL.
func (h *HTTPHandler) verify(ctx context.Context, token string) (string, error) {
	now := time.Now()
	if e, ok := h.tokens.Load(token); ok && now.Before(e.(tokenEntry).expires) {
		return e.(tokenEntry).user, nil
	}
	u, err := h.opts.Users.UserByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		h.tokens.Delete(token)
		return "", fmt.Errorf("%w: unknown token", auth.ErrInvalidToken)
	}
	if err != nil {
		return "", err
	}
	h.tokens.Store(token, tokenEntry{user: u.Name, expires: now.Add(tokenCacheTTL)})
	if now.Sub(u.LastSeenAt) > time.Minute {
		if err := h.opts.Users.TouchUser(context.WithoutCancel(ctx), u.Name); err != nil {
			h.log.Warn("recording the user's last request", "user", u.Name, "err", err)
		}
	}
	return u.Name, nil
}

// checkOrigin refuses requests a web page could make through DNS rebinding or a cross-site form: a Host that is not
// a loopback name (unless allowed, or the server is remote without an allow list), an Origin that is neither a
// loopback origin nor allowed.
func (h *HTTPHandler) checkOrigin(r *http.Request) error {
	if !h.hostAllowed(r.Host) {
		return fmt.Errorf("Host %q is not a loopback name; add it to [http] allowed_hosts if this server is reached by that name", r.Host)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if slices.Contains(h.opts.AllowedOrigins, origin) {
		return nil
	}
	u, err := url.Parse(origin)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && isLoopbackHost(u.Hostname()) {
		return nil
	}
	if err == nil && h.opts.Remote && u.Scheme == "https" && u.Host == r.Host && len(h.opts.AllowedHosts) > 0 {
		return nil // same origin as an allowed public name
	}
	return fmt.Errorf("Origin %q is not allowed; add it to [http] allowed_origins to let that web page use this server", origin)
}

func (h *HTTPHandler) hostAllowed(hostport string) bool {
	if slices.Contains(h.opts.AllowedHosts, hostport) {
		return true
	}
	host := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		host = hh
	}
	if slices.Contains(h.opts.AllowedHosts, host) || isLoopbackHost(host) {
		return true
	}
	return h.opts.Remote && len(h.opts.AllowedHosts) == 0
}

// isLoopbackHost reports whether host (without port; brackets allowed) names this machine's loopback interface.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen validates the listen address and the flags that go with it, naming the flag to fix. A loopback bind
// needs nothing; anything else needs --allow-remote and TLS, and refuses --no-auth.
func CheckListen(addr string, allowRemote bool, tlsCert, tlsKey string, noAuth bool) (remote bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return false, fmt.Errorf("--http %q: want HOST:PORT, e.g. --http 127.0.0.1:8931", addr)
	}
	if (tlsCert == "") != (tlsKey == "") {
		return false, errors.New("--tls-cert and --tls-key go together: pass both, the certificate chain and its private key (PEM files)")
	}
	if host != "" && isLoopbackHost(host) {
		return false, nil
	}
	where := host
	if where == "" {
		where = "every interface"
	}
	if !allowRemote {
		return true, fmt.Errorf("--http %s listens on %s, beyond this machine: bind 127.0.0.1 (e.g. --http 127.0.0.1:%s), "+
			"or pass --allow-remote with --tls-cert and --tls-key to accept remote clients", addr, where, port)
	}
	if tlsCert == "" {
		return true, fmt.Errorf("--allow-remote needs TLS: pass --tls-cert FILE and --tls-key FILE, so bearer tokens and "+
			"tool results never cross the network in clear text (refusing to serve %s without them)", addr)
	}
	if noAuth {
		return true, errors.New("--no-auth is only for loopback binds (127.0.0.1, [::1], localhost): remote clients must send a user token")
	}
	return true, nil
}

// ListenOptions configures ListenAndServe.
type ListenOptions struct {
	Addr            string
	TLSCert, TLSKey string
	// ShutdownGrace bounds how long shutdown waits for in-flight calls (0: DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// Ready, when set, is called with the address the server listens on (useful with port 0).
	Ready  func(addr net.Addr)
	Logger *slog.Logger
}

// ListenAndServe serves h until ctx ends, then shuts down gracefully: no new connections or calls, in-flight calls
// finish (within ShutdownGrace), then every session closes.
func ListenAndServe(ctx context.Context, h *HTTPHandler, opts ListenOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	var tlsCfg *tls.Config
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return fmt.Errorf("load --tls-cert %s and --tls-key %s: %w", opts.TLSCert, opts.TLSKey, err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? pick another with --http HOST:PORT)", opts.Addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	log.Info("serving MCP over streamable HTTP", "url", scheme+"://"+ln.Addr().String()+MCPPath)
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		_ = h.Close(context.Background())
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for in-flight calls", "grace", opts.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownGrace)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }() // stops accepting; waits for connections to go idle
	if err := h.Close(sctx); err != nil {
		log.Warn("shutdown grace ended", "err", err)
	}
	if err := <-shut; err != nil {
		log.Warn("closing connections still open after the grace period", "err", err)
		_ = srv.Close()
	}
	_ = ln.Close() // Shutdown misses the listener when Serve's goroutine has not run yet; the port must be free on return
	log.Info("server stopped")
	return nil
}

// rateLimits is a token bucket per user.
type rateLimits struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	users map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimits(rate float64, burst int) *rateLimits {
	return &rateLimits{rate: rate, burst: float64(burst), users: map[string]*bucket{}}
}

// take spends one token of user's bucket, or reports how long until one is available.
func (l *rateLimits) take(user string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spend(user, now, 1)
}

// peek reports whether user's bucket has a token, without spending it.
func (l *rateLimits) peek(user string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spend(user, now, 0)
}

// spend refills user's bucket and spends n tokens if it has at least one. Past 10,000 entries, full buckets are
// forgotten (they hold nothing a new bucket would not).
func (l *rateLimits) spend(user string, now time.Time, n float64) (time.Duration, bool) {
	if len(l.users) > 10000 {
		for k, b := range l.users {
			if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
				delete(l.users, k)
			}
		}
	}
	b := l.users[user]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.users[user] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens -= n
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// withUser puts the session's user in every request's context, where UserAuth finds it.
func withUser(s *session.Session) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			return next(context.WithValue(ctx, userKey, s.UserID()), method, req)
		}
	}
}

// UserFromContext returns the user of the MCP request ctx belongs to.
func UserFromContext(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(userKey).(string)
	return u, ok && u != ""
}

// UserAuth authorizes the process-wide catalog's calls with the accounts of the user of each request: one
// auth.Manager per user, made by New on first use. A call without a user in its context is refused.
type UserAuth struct {
	New func(user string) *tmauth.Manager

	mu       sync.Mutex
	managers map[string]*tmauth.Manager
	kits     []*tools.Toolkit
	kitsSet  bool
}

// For returns user's Manager.
func (a *UserAuth) For(user string) *tmauth.Manager {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m, ok := a.managers[user]; ok {
		return m
	}
	if a.managers == nil {
		a.managers = map[string]*tmauth.Manager{}
	}
	m := a.New(user)
	if a.kitsSet {
		m.ForToolkits(a.kits)
	}
	a.managers[user] = m
	return m
}

// Authorize implements the catalog's Authorizer.
func (a *UserAuth) Authorize(ctx context.Context, toolkit, account string, req *http.Request) error {
	user, ok := UserFromContext(ctx)
	if !ok {
		return fmt.Errorf("toolkit %s: this call carries no user, so no account may be used", toolkit)
	}
	return a.For(user).Authorize(ctx, toolkit, account, req)
}

// ForToolkits passes the catalog's toolkits to every Manager, present and future.
func (a *UserAuth) ForToolkits(kits []*tools.Toolkit) {
	a.mu.Lock()
	a.kits, a.kitsSet = kits, true
	ms := make([]*tmauth.Manager, 0, len(a.managers))
	for _, m := range a.managers {
		ms = append(ms, m)
	}
	a.mu.Unlock()
	for _, m := range ms {
		m.ForToolkits(kits)
	}
}

// Close stops the connect servers the users' connect links started.
func (a *UserAuth) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.managers {
		_ = m.ConnectServer().Close()
	}
}
