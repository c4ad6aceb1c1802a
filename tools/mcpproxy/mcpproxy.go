// Package mcpproxy turns an upstream MCP server into a toolmux toolkit: it starts the server (a stdio command, or a
// session with a streamable HTTP endpoint), lists its tools as tools.Tool values renamed
// TOOLKIT_<UPPER_SNAKE(name)>, and executes calls against it through the tools.Executor seam.
//
// A stdio upstream runs in a process group of its own with an explicit environment. It is started lazily: a client
// given the tool list of an earlier run (Config.Cached) answers List without starting anything, and the first
// Execute starts it. After a start, the tool list is read again when the server's version differs from the cached
// list's, and whenever the server sends notifications/tools/list_changed; Config.OnTools hears of every list read.
// A crashed upstream is restarted on a later call, after a backoff that doubles with each consecutive failure; the
// call that hit the crash, and the calls during the backoff, get an error that says so. Close stops it: stdin is
// closed, then the group gets SIGTERM, then SIGKILL, so no child is left behind.
//
// Progress and log notifications of the upstream, and its sampling and elicitation requests, are forwarded to the
// client a call came from (see Downstream).
//
// It depends only on tools and the MCP go-sdk; the session wires it in.
package mcpproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

// Config describes one upstream: Command (stdio) or URL (streamable HTTP).
type Config struct {
	// Toolkit is the toolkit slug (lower case); tool slugs are upper(Toolkit) + "_" + UPPER_SNAKE(name).
	Toolkit string
	Command string
	Args    []string
	// Env is the child's whole environment, KEY=VALUE; nothing of toolmux's own environment is inherited. A value
	// "env:NAME" or "keyring:NAME" is resolved with Resolve at each start.
	Env []string
	// Dir is the working directory; empty means toolmux's.
	Dir string
	// URL is the streamable HTTP endpoint of a remote upstream; Headers are sent with every request, and a value
	// "env:NAME" or "keyring:NAME" is resolved with Resolve at each start.
	URL     string
	Headers map[string]string
	// HTTPTransport carries requests to a URL upstream; nil means http.DefaultTransport.
	HTTPTransport http.RoundTripper
	// Resolve returns the value of a reference ("env:NAME", "keyring:NAME"); nil resolves only env:NAME, from
	// toolmux's environment. Its context is the start's, bounded by StartTimeout.
	Resolve func(ctx context.Context, ref string) (string, error)
	// StartTimeout bounds starting and initializing the upstream; zero means 30s.
	StartTimeout time.Duration
	// StopGrace is how long Close waits after closing stdin and again after SIGTERM; zero means 2s.
	StopGrace time.Duration
	// Backoff is the wait before the first restart after a crash or failed start, doubled for each consecutive
	// failure up to MaxBackoff; zero means 500ms and 30s.
	Backoff, MaxBackoff time.Duration
	// Cached is the tool list of an earlier run; List returns it without starting the upstream.
	Cached *tools.Toolkit
	// OnTools, when set, is called with every tool list read from the upstream, to cache it.
	OnTools func(*tools.Toolkit)
	// OnState, when set, is called when the upstream starts (StateRunning), fails (StateFailed, with the error) or
	// is closed (StateStopped).
	OnState func(state string, err error)
	Logger  *slog.Logger
}

// Upstream states reported by Status and OnState.
const (
	// StateIdle: not started yet (search works from the cached tool list).
	StateIdle = "idle"
	// StateRunning: started and initialized.
	StateRunning = "running"
	// StateFailed: crashed or failed to start; restarted on a call after RetryAt.
	StateFailed = "failed"
	// StateStopped: closed.
	StateStopped = "stopped"
)

// Client is one upstream MCP server. It is safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	starts atomic.Int64

	mu       sync.Mutex
	sess     *mcp.ClientSession
	pgid     int
	dead     chan struct{} // closed when the current session's connection ended and the crash was recorded
	closed   bool
	cached   *tools.Toolkit // the tool list: Config.Cached or the last one read
	failures int            // consecutive failed starts and crashes
	retryAt  time.Time
	lastErr  error
	// inflight maps the progress token of each call in progress to its client.
	inflight   map[string]*inflight
	nextToken  int64
	lastDown   *Downstream
	lastDownAt time.Time
	listMu     sync.Mutex    // serializes tool list reads
	starting   chan struct{} // non-nil while a start is in progress; closed when it ends
	// refreshing is set while a background tool list read runs; refreshAgain asks it for one more.
	refreshing, refreshAgain bool
	refreshes                sync.WaitGroup
}

// New returns a client for cfg; nothing is started until the first Execute, or the first List without a cached
// tool list.
func New(cfg Config) *Client {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 2 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Resolve == nil {
		cfg.Resolve = resolveEnvRef
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log.With("toolkit", cfg.Toolkit), cached: cfg.Cached, inflight: map[string]*inflight{}}
}

// Status is a snapshot of an upstream's state.
type Status struct {
	State string
	// LastError is the last start failure or crash, nil when there was none.
	LastError error
	// RetryAt is when a failed upstream may be started again.
	RetryAt time.Time
	// Starts counts the processes (or HTTP sessions) started so far.
	Starts int64
	// PGID is the process group of a running stdio upstream.
	PGID int
	// Tools is the number of tools of the known tool list, -1 when none is known.
	Tools int
}

// Status returns the upstream's current state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{State: StateIdle, LastError: c.lastErr, RetryAt: c.retryAt, Starts: c.starts.Load(), Tools: -1}
	switch {
	case c.closed:
		s.State = StateStopped
	case c.sess != nil:
		s.State, s.PGID = StateRunning, c.pgid
	case c.failures > 0:
		s.State = StateFailed
	}
	if c.cached != nil {
		s.Tools = len(c.cached.Tools)
	}
	return s
}

// Toolkit returns the toolkit slug the upstream serves.
func (c *Client) Toolkit() string { return c.cfg.Toolkit }

// Ping starts the upstream when it is not running and checks that it answers.
func (c *Client) Ping(ctx context.Context) error {
	sess, _, _, err := c.session(ctx)
	if err != nil {
		return err
	}
	if err := sess.Ping(ctx, nil); err != nil {
		return fmt.Errorf("upstream %s does not answer ping: %w", c.cfg.Toolkit, err)
	}
	return nil
}

// Starts returns how many times the upstream was started.
func (c *Client) Starts() int64 { return c.starts.Load() }

// PGID returns the process group of the running upstream, 0 when none runs.
func (c *Client) PGID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return 0
	}
	return c.pgid
}

func (c *Client) backoff() time.Duration {
	d := c.cfg.Backoff
	for i := 1; i < c.failures && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxBackoff)
}

// failLocked records a failed start or a crash and schedules the next attempt.
func (c *Client) failLocked(err error) {
	c.failures++
	c.lastErr = err
	c.retryAt = time.Now().Add(c.backoff())
}

func (c *Client) emit(state string, err error) {
	if c.cfg.OnState != nil {
		c.cfg.OnState(state, err)
	}
}

// session returns a live session, starting (or restarting) the upstream when needed; started reports that this
// call's wait saw a new start. A start runs on its own clock (StartTimeout), not the caller's: a call whose deadline
// passes while the upstream starts fails, and the start goes on for the next call.
func (c *Client) session(ctx context.Context) (sess *mcp.ClientSession, dead <-chan struct{}, started bool, err error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, nil, false, fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, ErrClosed)
		}
		if c.sess != nil {
			s, d := c.sess, c.dead
			c.mu.Unlock()
			return s, d, started, nil
		}
		if started {
			// The start this call waited for failed.
			err := c.lastErr
			c.mu.Unlock()
			return nil, nil, false, err
		}
		if wait := time.Until(c.retryAt); wait > 0 && c.failures > 0 {
			err := fmt.Errorf("upstream %s is down (%v); it is restarted on a call after %s (in %s), retry then",
				c.cfg.Toolkit, c.lastErr, c.retryAt.UTC().Format("15:04:05.000 UTC"), wait.Round(time.Millisecond))
			c.mu.Unlock()
			return nil, nil, false, err
		}
		if c.starting == nil {
			c.starting = make(chan struct{})
			go c.start(c.starting)
		}
		ch := c.starting
		c.mu.Unlock()
		select {
		case <-ch:
			started = true
		case <-ctx.Done():
			return nil, nil, false, fmt.Errorf("upstream %s is still starting: %w", c.cfg.Toolkit, ctx.Err())
		}
	}
}

// start starts the upstream and closes done when it is running or has failed.
func (c *Client) start(done chan struct{}) {
	sess, cmd, err := c.connect()
	c.mu.Lock()
	c.starting = nil
	switch {
	case err != nil:
		c.failLocked(err)
	case c.closed:
		err = fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, ErrClosed)
		c.lastErr = err
	default:
		pgid := 0
		if cmd != nil {
			pgid = cmd.Process.Pid
		}
		dead := make(chan struct{})
		c.sess, c.pgid, c.dead = sess, pgid, dead
		go c.watch(sess, cmd, pgid, dead)
	}
	closed := c.closed
	c.mu.Unlock()
	if closed && sess != nil {
		// Close came during the start: stop what started before Close returns.
		_ = sess.Close()
		if cmd != nil {
			killGroup(cmd.Process.Pid, c.cfg.StopGrace)
		}
	}
	switch {
	case err == nil:
		c.emit(StateRunning, nil)
	case !closed:
		c.emit(StateFailed, err)
	}
	// Released after the state is recorded, so whoever waited for this start (a catalog load that doctor then
	// reports on) reads the state it ended in.
	close(done)
}

// connect starts the process (or opens the HTTP session) and initializes it, bounded by StartTimeout.
func (c *Client) connect() (*mcp.ClientSession, *exec.Cmd, error) {
	what := c.cfg.Command
	if c.cfg.URL != "" {
		what = c.cfg.URL
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.StartTimeout)
	defer cancel()
	tr, cmd, err := c.transport(ctx)
	if err != nil {
		return nil, nil, err
	}
	c.starts.Add(1)
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux", Version: "dev"}, c.clientOptions())
	sess, err := client.Connect(ctx, tr, nil)
	if err != nil {
		if cmd != nil && cmd.Process != nil {
			killGroup(cmd.Process.Pid, c.cfg.StopGrace)
		}
		hint := "check the command, its arguments and that it speaks MCP on stdout"
		if c.cfg.URL != "" {
			hint = "check the URL, the headers and that the server speaks streamable HTTP MCP"
		}
		return nil, nil, fmt.Errorf("start upstream %s (%s): %w%s; %s", c.cfg.Toolkit, what, err, stderrTail(cmd), hint)
	}
	if r := sess.InitializeResult(); r != nil && r.Capabilities != nil && r.Capabilities.Logging != nil {
		// Log messages reach the client through ServerSession.Log, which applies the client's own level.
		if err := sess.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
			c.log.Debug("upstream refused a logging level", "err", err)
		}
	}
	return sess, cmd, nil
}

// watch waits for the session's connection to end. An end that Close or a restart did not cause is a crash: it is
// recorded (with the backoff before the next start) and the process group is reaped.
func (c *Client) watch(sess *mcp.ClientSession, cmd *exec.Cmd, pgid int, dead chan struct{}) {
	werr := sess.Wait()
	c.mu.Lock()
	crashed := c.sess == sess
	if crashed && errors.Is(werr, mcp.ErrSessionMissing) {
		// A remote server that restarted, or expired the session, answers 404: the spec has the client start a new
		// session. That is no crash: the next call initializes again at once, without a backoff.
		c.log.Info("upstream ended the session; the next call starts a new one", "err", werr)
		c.sess = nil
		c.mu.Unlock()
		_ = sess.Close()
		c.emit(StateIdle, nil)
		close(dead)
		return
	}
	var err error
	if crashed {
		cause := "the connection closed"
		if werr != nil {
			cause = werr.Error()
		}
		err = fmt.Errorf("upstream %s exited unexpectedly: %s%s", c.cfg.Toolkit, cause, stderrTail(cmd))
		c.log.Warn("upstream exited", "err", err)
		c.failLocked(err)
		c.sess, c.pgid = nil, 0
	}
	c.mu.Unlock()
	if crashed {
		_ = sess.Close()
		killGroup(pgid, c.cfg.StopGrace)
		c.emit(StateFailed, err)
	}
	close(dead)
}

// stopLocked closes the session (stdin, wait, SIGTERM, SIGKILL of the leader) and then the whole group.
func (c *Client) stopLocked() {
	if c.sess == nil {
		return
	}
	sess, pgid := c.sess, c.pgid
	c.sess, c.pgid = nil, 0
	_ = sess.Close()
	killGroup(pgid, c.cfg.StopGrace)
}

// Close stops the upstream and its whole process group; later calls fail.
func (c *Client) Close() error {
	c.mu.Lock()
	was := c.sess != nil
	c.closed = true
	c.stopLocked()
	starting := c.starting
	c.mu.Unlock()
	if starting != nil {
		<-starting // the start sees closed and stops what it started
	}
	c.refreshes.Wait() // the session is closed: a read in progress fails at once
	if was {
		c.emit(StateStopped, nil)
	}
	return nil
}

// List returns the upstream's tools as a toolkit: the cached list when there is one, else the list read from the
// upstream, which is started for it.
func (c *Client) List(ctx context.Context) (*tools.Toolkit, error) {
	c.mu.Lock()
	tk, closed := c.cached, c.closed
	c.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, ErrClosed)
	}
	if tk != nil {
		return tk, nil
	}
	sess, _, _, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	return c.list(ctx, sess)
}

// list reads the tool list from sess, keeps it and hands it to OnTools.
func (c *Client) list(ctx context.Context, sess *mcp.ClientSession) (*tools.Toolkit, error) {
	c.listMu.Lock()
	defer c.listMu.Unlock()
	tk := &tools.Toolkit{Slug: c.cfg.Toolkit, Name: c.cfg.Toolkit, Source: tools.SourceMCP, AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeNoAuth}}}
	if info := sess.InitializeResult(); info != nil && info.ServerInfo != nil {
		tk.Version = info.ServerInfo.Version
		if info.ServerInfo.Title != "" {
			tk.Name = info.ServerInfo.Title
		}
		tk.Description = info.Instructions
	}
	seen := map[string]int{}
	for t, err := range sess.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("list tools of upstream %s: %w", c.cfg.Toolkit, err)
		}
		tool, err := convert(c.cfg.Toolkit, t)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, err)
		}
		if n := seen[tool.Slug]; n > 0 {
			seen[tool.Slug] = n + 1
			c.log.Warn("tool slug collision; numbered", "tool", t.Name, "slug", tool.Slug)
			tool.Slug += "_" + strconv.Itoa(n+1)
		} else {
			seen[tool.Slug] = 1
		}
		tk.Tools = append(tk.Tools, tool)
	}
	c.mu.Lock()
	c.cached = tk
	c.mu.Unlock()
	if c.cfg.OnTools != nil {
		c.cfg.OnTools(tk)
	}
	return tk, nil
}

// scheduleRefresh reads the tool list of sess again in the background. Requests while a read runs are coalesced
// into one more read after it (a server registering several tools sends one notification per tool); Close waits
// for the read in progress.
func (c *Client) scheduleRefresh(sess *mcp.ClientSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.refreshing {
		c.refreshAgain = true
		return
	}
	c.refreshing = true
	c.refreshes.Add(1)
	go func() {
		defer c.refreshes.Done()
		for {
			c.refresh(sess)
			c.mu.Lock()
			again := c.refreshAgain && !c.closed
			c.refreshAgain = false
			if !again {
				c.refreshing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
		}
	}()
}

// refresh reads the tool list again; a failure is logged, the old list stays.
func (c *Client) refresh(sess *mcp.ClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.StartTimeout)
	defer cancel()
	_, err := c.list(ctx, sess)
	c.mu.Lock()
	closed := c.closed || c.sess != sess
	c.mu.Unlock()
	switch {
	case err != nil && !closed:
		c.log.Warn("upstream tool list not refreshed", "err", err)
	case err == nil:
		c.log.Debug("upstream tool list refreshed")
	}
}

// Execute calls the upstream tool by its original name, starting the upstream when it is not running. Structured
// content is returned when present, else the content list; an upstream isError result becomes an error carrying
// its text. The call's Downstream (see WithDownstream) receives the upstream's progress, logs and requests.
func (c *Client) Execute(ctx context.Context, call tools.Call) (tools.Result, error) {
	res, err := c.execute(ctx, call)
	if errors.Is(err, mcp.ErrSessionMissing) && ctx.Err() == nil {
		// The server no longer knows the session, so it did not run the call: start a new session and send it once
		// more.
		c.log.Info("upstream session gone; calling again on a new session", "tool", call.Tool.Name)
		res, err = c.execute(ctx, call)
	}
	return res, err
}

// execute makes one attempt of Execute.
func (c *Client) execute(ctx context.Context, call tools.Call) (tools.Result, error) {
	sess, dead, started, err := c.session(ctx)
	if err != nil {
		return tools.Result{}, err
	}
	if started {
		c.mu.Lock()
		stale := c.cached == nil
		if r := sess.InitializeResult(); !stale && r != nil && r.ServerInfo != nil {
			stale = r.ServerInfo.Version != c.cached.Version
		}
		c.mu.Unlock()
		if stale {
			c.scheduleRefresh(sess)
		}
	}
	name := call.Tool.Name
	args := call.Arguments
	if args == nil {
		args = map[string]any{} // servers reject a null arguments object
	}
	params := &mcp.CallToolParams{Name: name, Arguments: args}
	down := downstreamFrom(ctx)
	c.mu.Lock()
	c.nextToken++
	token := "toolmux-" + strconv.FormatInt(c.nextToken, 10)
	c.inflight[token] = &inflight{slug: call.Tool.Slug, down: down}
	c.mu.Unlock()
	params.SetProgressToken(token)
	res, err := sess.CallTool(ctx, params)
	c.mu.Lock()
	delete(c.inflight, token)
	if down != nil {
		c.lastDown, c.lastDownAt = down, time.Now()
	}
	if err == nil {
		c.failures = 0 // the upstream works again: the next crash starts the backoff anew
	}
	c.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return tools.Result{}, fmt.Errorf("call %s on upstream %s: %w", name, c.cfg.Toolkit, ctx.Err())
		}
		if errors.Is(err, mcp.ErrSessionMissing) {
			// Drop the session now rather than when watch sees it end, so that a retry starts a new one.
			c.mu.Lock()
			gone := c.sess == sess
			if gone {
				c.sess = nil
			}
			c.mu.Unlock()
			if gone {
				_ = sess.Close()
			}
			return tools.Result{}, fmt.Errorf("call %s on upstream %s: the server ended the session: %w", name, c.cfg.Toolkit, err)
		}
		select {
		case <-dead:
			c.mu.Lock()
			retry := time.Until(c.retryAt).Round(time.Millisecond)
			c.mu.Unlock()
			return tools.Result{}, fmt.Errorf("call %s: upstream %s exited during the call (%v); it is restarted on a call in %s or later", name, c.cfg.Toolkit, err, max(retry, 0))
		case <-time.After(100 * time.Millisecond):
		}
		return tools.Result{}, fmt.Errorf("call %s on upstream %s: %w", name, c.cfg.Toolkit, err)
	}
	if res.IsError {
		return tools.Result{}, fmt.Errorf("upstream %s tool %s failed: %s", c.cfg.Toolkit, name, contentText(res.Content))
	}
	if res.StructuredContent != nil {
		return tools.Result{Data: res.StructuredContent}, nil
	}
	data, err := contentData(res.Content)
	if err != nil {
		return tools.Result{}, fmt.Errorf("upstream %s tool %s: decode content: %w", c.cfg.Toolkit, name, err)
	}
	return tools.Result{Data: data}, nil
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("mcpproxy: client is closed")
