package main

// HTTP mode under load: requests per second and latency of COMPOSIO_GET_TOOL_SCHEMAS with 1, 10 and 50 concurrent
// MCP sessions over streamable HTTP (against the same call over stdio), and the server's memory per idle session and
// per session that ran a workbench call. Traffic goes to 127.0.0.1 only, and every loop is bounded in count and time.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// httpCallsPerLevel is how many GET_TOOL_SCHEMAS calls each concurrency level makes in all (at least 20 per
	// session); httpLevelDeadline bounds a level's time.
	httpCallsPerLevel = 1000
	httpLevelDeadline = 60 * time.Second
	// idleSessions and workbenchSessions are how many sessions the memory measurements open.
	idleSessions      = 100
	workbenchSessions = 10
)

var httpLevels = []int{1, 10, 50}

// httpServer is a `toolmux serve --http 127.0.0.1:0` child.
type httpServer struct {
	cmd      *exec.Cmd
	url      string
	token    string
	done     chan error
	stopOnce sync.Once
}

var servingURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)

func (b *bench) startHTTP(ctx context.Context, config, state string) (*httpServer, error) {
	out, err := b.toolmuxCmd(ctx, "users", "add", "bench", "--config", config, "--state-dir", state).Output()
	if err != nil {
		return nil, fmt.Errorf("toolmux users add: %w", err)
	}
	s := &httpServer{token: strings.TrimSpace(string(out)), done: make(chan error, 1)}
	// Not CommandContext: the server is stopped with SIGTERM, as a user would, and must exit by itself.
	s.cmd = exec.Command(b.toolmux, "serve", "--http", "127.0.0.1:0", "--config", config, "--state-dir", state)
	s.cmd.Env, s.cmd.Dir = b.env, b.tmp
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := servingURL.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") && !strings.Contains(line, "secret store") {
				fmt.Fprintln(os.Stderr, "toolmux serve --http:", line)
			}
		}
	}()
	go func() { s.done <- s.cmd.Wait() }()
	select {
	case s.url = <-found:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("toolmux serve --http exited: %v", err)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, errors.New("toolmux serve --http logged no URL within 60s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM and waits for the exit (killing after 30 s); later calls do nothing.
func (s *httpServer) stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// memoryRun is a server's resident memory before and after opening sessions.
type memoryRun struct {
	n                  int
	baseSelf, baseTree int64
	self, tree         int64
	note               string // why nothing was measured
}

func (m memoryRun) perSelf() float64 { return float64(m.self-m.baseSelf) / float64(m.n) }
func (m memoryRun) perTree() float64 { return float64(m.tree-m.baseTree) / float64(m.n) }

// sessionMemory starts a fresh server, loads its catalog through one session, then opens n sessions (each running
// one workbench call when workbench is set) and reads the server's RSS before and after.
func (b *bench) sessionMemory(ctx context.Context, config string, n int, workbench bool) (memoryRun, error) {
	m := memoryRun{n: n}
	srv, err := b.startHTTP(ctx, config, filepath.Join(b.dir("http-mem"), "state"))
	if err != nil {
		return m, err
	}
	defer srv.stop()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: bearerTransport{srv.token, tr}}
	warm, err := srv.connect(ctx, client)
	if err != nil {
		return m, err
	}
	if _, err := warm.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_SEARCH_TOOLS", Arguments: map[string]any{
		"queries": []map[string]any{{"use_case": "list github issues"}}}}); err != nil {
		return m, err
	}
	warm.Close()
	pid := srv.cmd.Process.Pid
	time.Sleep(2 * time.Second)
	m.baseSelf, m.baseTree = rssKiB(pid)
	var open []*mcp.ClientSession
	defer func() {
		for _, cs := range open {
			cs.Close()
		}
	}()
	for range n {
		cs, err := srv.connect(ctx, client)
		if err != nil {
			return m, err
		}
		open = append(open, cs)
		if !workbench {
			if _, err := cs.ListTools(ctx, nil); err != nil {
				return m, err
			}
			continue
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_REMOTE_WORKBENCH", Arguments: map[string]any{"code_to_execute": "sum(range(1000))"}})
		if err != nil {
			return m, err
		}
		if res.IsError {
			raw, _ := json.Marshal(res.StructuredContent)
			m.note = fmt.Sprintf("not measured: the workbench did not run here (%s)", tail(string(raw)))
			return m, nil
		}
	}
	time.Sleep(2 * time.Second)
	m.self, m.tree = rssKiB(pid)
	return m, nil
}

// bearerTransport adds the token to every request.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

func (s *httpServer) connect(ctx context.Context, client *http.Client) (*mcp.ClientSession, error) {
	c := mcp.NewClient(&mcp.Implementation{Name: "toolmux-bench-http", Version: "1.0.0"}, nil)
	return c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.url, HTTPClient: client, MaxRetries: -1}, nil)
}

// schemaCall runs GET_TOOL_SCHEMAS for slug and checks that the schema came back.
func schemaCall(ctx context.Context, cs *mcp.ClientSession, slug string) (time.Duration, error) {
	start := time.Now()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_GET_TOOL_SCHEMAS", Arguments: map[string]any{"tool_slugs": []string{slug}}})
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if res.IsError || !strings.Contains(string(raw), `"`+slug+`"`) {
		return 0, fmt.Errorf("GET_TOOL_SCHEMAS %s: %s", slug, raw)
	}
	return d, nil
}

// loadLevel is one concurrency level's outcome.
type loadLevel struct {
	sessions int
	calls    int
	wall     time.Duration
	lat      samples
}

func (l loadLevel) rps() float64 { return float64(l.calls) / l.wall.Seconds() }

// rssKiB is a process's resident set (VmRSS) and that of all its descendants, from /proc; 0, 0 where unknown.
func rssKiB(pid int) (self, tree int64) {
	status := func(p int) (rss int64, ppid int) {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "status"))
		if err != nil {
			return 0, -1
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			switch k {
			case "VmRSS":
				rss, _ = strconv.ParseInt(f[0], 10, 64)
			case "PPid":
				ppid, _ = strconv.Atoi(f[0])
			}
		}
		return rss, ppid
	}
	self, _ = status(pid)
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	rss := map[int]int64{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		rss[p], parent[p] = status(p)
	}
	tree = self
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				tree += rss[p]
				break
			}
		}
	}
	return self, tree
}

func (b *bench) httpMode(ctx context.Context) (section, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	dir := b.dir("http")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return section{}, err
	}
	config := filepath.Join(dir, "config.toml")
	// The rate limit is lifted: this measures the server, not the limiter.
	if err := os.WriteFile(config, []byte("log_level = \"info\"\n\n[http]\nrate_limit = 1000000.0\nrate_burst = 1000000\n\n"+
		"[secrets]\nstore = \"file\"\n"), 0o600); err != nil {
		return section{}, err
	}
	state := filepath.Join(dir, "state")
	srv, err := b.startHTTP(ctx, config, state)
	if err != nil {
		return section{}, err
	}
	defer srv.stop()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256 // every session keeps its connections
	client := &http.Client{Transport: bearerTransport{srv.token, tr}}
	defer tr.CloseIdleConnections()

	// The slug: the first hit of a search, so the call reads a real schema of the catalog.
	first, err := srv.connect(ctx, client)
	if err != nil {
		return section{}, fmt.Errorf("connect: %w", err)
	}
	res, err := first.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_SEARCH_TOOLS", Arguments: map[string]any{
		"queries": []map[string]any{{"use_case": "get a github repository"}}}})
	if err != nil {
		return section{}, err
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var found struct {
		Data struct {
			Results []struct {
				Primary []string `json:"primary_tool_slugs"`
			} `json:"results"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &found); err != nil || len(found.Data.Results) == 0 || len(found.Data.Results[0].Primary) == 0 {
		return section{}, fmt.Errorf("search found no tool: %s", raw)
	}
	slug := found.Data.Results[0].Primary[0]
	first.Close()

	// Baseline: the same call over stdio, one session.
	stdioCmd := b.toolmuxCmd(ctx, "serve", "--config", config, "--state-dir", filepath.Join(dir, "stdio-state"))
	stdioCS, err := mcp.NewClient(&mcp.Implementation{Name: "toolmux-bench", Version: "1.0.0"}, nil).Connect(ctx, &mcp.CommandTransport{Command: stdioCmd}, nil)
	if err != nil {
		return section{}, fmt.Errorf("stdio baseline: %w", err)
	}
	var stdioLat samples
	var stdioStart time.Time
	for i := range 20 + httpCallsPerLevel/2 {
		if i == 20 { // after the warm-up
			stdioStart = time.Now()
		}
		d, err := schemaCall(ctx, stdioCS, slug)
		if err != nil {
			stdioCS.Close()
			return section{}, fmt.Errorf("stdio baseline: %w", err)
		}
		if i >= 20 {
			stdioLat = append(stdioLat, d)
		}
	}
	stdioLevel := loadLevel{sessions: 1, calls: len(stdioLat), lat: stdioLat, wall: time.Since(stdioStart)}
	stdioCS.Close()

	var levels []loadLevel
	for _, n := range httpLevels {
		b.log.Info("http load", "sessions", n, "calls", httpCallsPerLevel)
		sessions := make([]*mcp.ClientSession, n)
		for i := range sessions {
			if sessions[i], err = srv.connect(ctx, client); err != nil {
				return section{}, fmt.Errorf("connect session %d of %d: %w", i+1, n, err)
			}
			if _, err := schemaCall(ctx, sessions[i], slug); err != nil { // warm-up
				return section{}, err
			}
		}
		per := max(20, httpCallsPerLevel/n)
		lctx, lcancel := context.WithTimeout(ctx, httpLevelDeadline)
		var mu sync.Mutex
		var lat samples
		var firstErr error
		var wg sync.WaitGroup
		start := time.Now()
		for _, cs := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range per {
					d, err := schemaCall(lctx, cs, slug)
					mu.Lock()
					if err != nil {
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		wall := time.Since(start)
		lcancel()
		for _, cs := range sessions {
			cs.Close()
		}
		if firstErr != nil {
			return section{}, fmt.Errorf("%d sessions: %w", n, firstErr)
		}
		levels = append(levels, loadLevel{sessions: n, calls: len(lat), wall: wall, lat: lat})
	}

	srv.stop()
	idle, err := b.sessionMemory(ctx, config, idleSessions, false)
	if err != nil {
		return section{}, fmt.Errorf("idle sessions: %w", err)
	}
	wb, err := b.sessionMemory(ctx, config, workbenchSessions, true)
	if err != nil {
		return section{}, fmt.Errorf("workbench sessions: %w", err)
	}

	perIdle := idle.perSelf()
	var sb strings.Builder
	fmt.Fprintf(&sb, "**What:** `toolmux serve --http 127.0.0.1:0` (streamable HTTP, a bearer token per request) answering "+
		"`COMPOSIO_GET_TOOL_SCHEMAS` for `%s` from 1, %d and %d concurrent MCP sessions, each its own toolmux session, "+
		"against the same call over stdio from one session; then the server's memory per session.\n\n", slug, httpLevels[1], httpLevels[2])
	fmt.Fprintf(&sb, "**How:** go-sdk clients over HTTP keep-alive connections to 127.0.0.1 make %d calls per level in all "+
		"(each session calling back to back, at least 20 each) after one warm-up call per session; requests per second is "+
		"calls ÷ wall time of the level; latency is measured in the client around `tools/call`. The per-user rate limit is "+
		"lifted for the run. The stdio baseline is %d calls after 20 warm-up calls. Memory is the server's VmRSS from /proc "+
		"(its own, and with its child processes) of a fresh server, its catalog loaded by one session opened and closed, "+
		"before and after opening %d idle sessions (initialize and one tools/list), and of another fresh server before "+
		"and after %d sessions that each ran one workbench call (a Python kernel in the sandbox per session); 2 s of quiet "+
		"before each reading. RSS includes garbage the Go runtime has not returned yet, so small values are noisy.\n\n",
		httpCallsPerLevel, len(stdioLat), idleSessions, workbenchSessions)
	sb.WriteString("| transport | sessions | calls | requests/s | median | p99 | max | p99 vs stdio p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, l loadLevel) {
		fmt.Fprintf(&sb, "| %s | %d | %d | %.0f | %s | %s | %s | %s |\n", name, l.sessions, l.calls, l.rps(),
			ms(l.lat.median()), ms(l.lat.quantile(0.99)), ms(l.lat.max()), ratio(l.lat.quantile(0.99), stdioLevel.lat.quantile(0.99)))
	}
	row("stdio (baseline)", stdioLevel)
	for _, l := range levels {
		row("HTTP", l)
	}
	fmt.Fprintf(&sb, "\n| memory | value |\n|---|---:|\n")
	fmt.Fprintf(&sb, "| server RSS, catalog loaded, no session open | %s |\n", mib(idle.baseSelf))
	fmt.Fprintf(&sb, "| per idle session (server RSS growth ÷ %d) | %.0f KiB |\n", idleSessions, perIdle)
	if wb.note != "" {
		fmt.Fprintf(&sb, "| per session that ran a workbench call | %s |\n", wb.note)
	} else {
		fmt.Fprintf(&sb, "| per workbench session, with its sandbox processes (tree RSS growth ÷ %d) | %.1f MiB |\n", workbenchSessions, wb.perTree()/1024)
	}
	one, fifty := levels[0], levels[len(levels)-1]
	fmt.Fprintf(&sb, "\n**Ratio:** one HTTP session's median is **%s** stdio's; %d sessions serve **%s** the requests per second "+
		"of one, at a p99 of %s.\n", ratio(one.lat.median(), stdioLevel.lat.median()), fifty.sessions,
		fmt.Sprintf("%.2f×", fifty.rps()/one.rps()), ms(fifty.lat.quantile(0.99)))
	summary := fmt.Sprintf("GET_TOOL_SCHEMAS over HTTP: %s; idle session %.0f KiB", func() string {
		var parts []string
		for _, l := range levels {
			parts = append(parts, fmt.Sprintf("%d sessions %.0f req/s p99 %s", l.sessions, l.rps(), ms(l.lat.quantile(0.99))))
		}
		return strings.Join(parts, ", ")
	}(), perIdle)
	if wb.note == "" {
		summary += fmt.Sprintf("; workbench session %.1f MiB with sandbox", wb.perTree()/1024)
	}
	return section{title: "HTTP mode under load", body: sb.String(), summary: summary}, nil
}
