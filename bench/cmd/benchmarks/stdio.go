package main

// Cold start to the first tools/list answer, measured with raw JSON-RPC lines so that no client library's start-up
// is counted, and the same driver serves toolmux and the node baseline.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// stdioServer is an MCP server child spoken to in JSON-RPC lines.
type stdioServer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	stderr *bytes.Buffer
	exited chan error
}

func startStdio(cmd *exec.Cmd) (*stdioServer, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &stdioServer{cmd: cmd, stdin: stdin, lines: make(chan []byte, 16), stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(s.lines)
		r := bufio.NewReaderSize(stdout, 1<<20)
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				s.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { s.exited <- cmd.Wait() }()
	return s, nil
}

func (s *stdioServer) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.stdin.Write(append(b, '\n'))
	return err
}

// await reads messages until the response to id, and returns that response's result.
func (s *stdioServer) await(ctx context.Context, id int) (json.RawMessage, error) {
	want := fmt.Sprint(id)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				return nil, fmt.Errorf("the server closed stdout before answering request %d; stderr:\n%s", id, tail(s.stderr.String()))
			}
			var m struct {
				ID     json.RawMessage `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(line, &m); err != nil {
				return nil, fmt.Errorf("stdout line is not JSON-RPC: %.200s", line)
			}
			if string(m.ID) != want {
				continue // a notification or another response
			}
			if len(m.Error) > 0 {
				return nil, fmt.Errorf("request %d failed: %s", id, m.Error)
			}
			return m.Result, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the answer to request %d: %w; stderr:\n%s", id, ctx.Err(), tail(s.stderr.String()))
		}
	}
}

// stop closes stdin, which ends a stdio MCP server, and kills it if it lingers.
func (s *stdioServer) stop() {
	_ = s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// firstList spawns cmd and times spawn → initialize → initialized → the tools/list answer. It returns the
// tools/list result as the server encoded it.
func firstList(ctx context.Context, cmd *exec.Cmd) (time.Duration, json.RawMessage, error) {
	d, pages, err := listTools(ctx, cmd, false)
	if err != nil {
		return 0, nil, err
	}
	return d, pages[0], nil
}

// listTools spawns cmd, initializes, and lists tools: the first page, or every page when all is set. It returns the
// time from spawn to the first page's answer and each page's result as the server encoded it.
func listTools(ctx context.Context, cmd *exec.Cmd, all bool) (time.Duration, []json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	s, err := startStdio(cmd)
	if err != nil {
		return 0, nil, err
	}
	defer s.stop()
	err = s.send(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "toolmux-bench", "version": "1.0.0"},
	}})
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.await(ctx, 1); err != nil {
		return 0, nil, err
	}
	if err := s.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}); err != nil {
		return 0, nil, err
	}
	var first time.Duration
	var pages []json.RawMessage
	cursor := ""
	for id := 2; ; id++ {
		req := map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/list"}
		if cursor != "" {
			req["params"] = map[string]any{"cursor": cursor}
		}
		if err := s.send(req); err != nil {
			return 0, nil, err
		}
		res, err := s.await(ctx, id)
		if err != nil {
			return 0, nil, err
		}
		if id == 2 {
			first = time.Since(start)
		}
		pages = append(pages, res)
		var page struct {
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(res, &page); err != nil {
			return 0, nil, fmt.Errorf("tools/list result: %w", err)
		}
		if !all || page.NextCursor == "" {
			return first, pages, nil
		}
		cursor = page.NextCursor
	}
}

// variant is one server started the same way as the others.
type variant struct {
	name    string
	command string // shown in the report
	cmd     func() *exec.Cmd
	samples samples
	list    json.RawMessage // the last tools/list result
}

type coldStartResult struct {
	runs     int
	variants []*variant // toolmux fresh, toolmux warm, baseline
	warmDir  string     // a state dir with the default catalog cached
	// version is `toolmux version` run to exit: the process start every command pays, without MCP or state.
	version samples
}

func (b *bench) coldStart(ctx context.Context) (*coldStartResult, error) {
	everything, err := b.nodeBin("mcp-server-everything")
	if err != nil {
		return nil, err
	}
	warm := b.dir("state-warm")
	b.log.Info("warming a state dir", "dir", warm)
	if out, err := b.toolmuxCmd(ctx, "tools", "list", "--state-dir", warm).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("warm the state dir: %w\n%s", err, out)
	}
	fresh := &variant{
		name:    "toolmux serve, fresh state dir",
		command: "toolmux serve --state-dir NEW_EMPTY_DIR",
		cmd:     func() *exec.Cmd { return b.toolmuxCmd(ctx, "serve", "--state-dir", b.dir("state-fresh")) },
	}
	warmed := &variant{
		name:    "toolmux serve, warm state dir",
		command: "toolmux serve --state-dir WARM_DIR (database, session and catalog cache exist)",
		cmd:     func() *exec.Cmd { return b.toolmuxCmd(ctx, "serve", "--state-dir", warm) },
	}
	baseline := &variant{
		name:    "baseline: mcp-server-everything",
		command: "test-tools/node_modules/.bin/mcp-server-everything stdio",
		cmd: func() *exec.Cmd {
			cmd := exec.CommandContext(ctx, everything, "stdio")
			cmd.Env = b.env
			cmd.Dir = b.tmp
			return cmd
		},
	}
	res := &coldStartResult{runs: b.runs, variants: []*variant{fresh, warmed, baseline}, warmDir: warm}
	// One unmeasured start each fills the page cache; then the variants take turns so that drift in the machine's
	// load spreads over all of them.
	for i := -1; i < b.runs; i++ {
		for _, v := range res.variants {
			d, list, err := firstList(ctx, v.cmd())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
			v.list = list
			if i >= 0 {
				v.samples = append(v.samples, d)
			}
		}
		start := time.Now()
		if err := b.toolmuxCmd(ctx, "version").Run(); err != nil {
			return nil, fmt.Errorf("toolmux version: %w", err)
		}
		if i >= 0 {
			res.version = append(res.version, time.Since(start))
		}
		if i >= 0 && (i+1)%5 == 0 {
			b.log.Info("cold start", "runs", i+1, "of", b.runs)
		}
	}
	return res, nil
}

func (r *coldStartResult) section() section {
	fresh, warm, base := r.variants[0], r.variants[1], r.variants[2]
	var sb strings.Builder
	fmt.Fprintf(&sb, "**What:** the time from spawning the server to receiving its answer to the first `tools/list`: spawn → "+
		"`initialize` request → its answer → `notifications/initialized` → `tools/list` request → its answer. This is "+
		"what an MCP host waits for before the model sees any tool.\n\n")
	fmt.Fprintf(&sb, "**How:** raw JSON-RPC lines over the child's stdin/stdout (protocol 2025-06-18), the same driver for every "+
		"server; %d measured runs per server after one unmeasured run each, the servers taking turns. The server is "+
		"stopped by closing its stdin after each run. toolmux uses the embedded default config (the curated "+
		"toolkits); its catalog starts loading once the handshake is done, so `tools/list` of the meta tools does not wait for it.\n\n", r.runs)
	sb.WriteString("| server | command | median | p90 | min | max |\n|---|---|---:|---:|---:|---:|\n")
	for _, v := range r.variants {
		fmt.Fprintf(&sb, "| %s | `%s` | %s | %s | %s | %s |\n", v.name, v.command, ms(v.samples.median()), ms(v.samples.p90()), ms(v.samples.min()), ms(v.samples.max()))
	}
	fmt.Fprintf(&sb, "| for reference: process start alone | `toolmux version` (spawn to exit) | %s | %s | %s | %s |\n",
		ms(r.version.median()), ms(r.version.p90()), ms(r.version.min()), ms(r.version.max()))
	fmt.Fprintf(&sb, "\n**Ratio** (baseline median ÷ toolmux median): fresh state dir **%s** faster, warm state dir **%s** faster. "+
		"Goal: toolmux under 20 ms and at least 10× faster than the node baseline — %s.\n",
		ratio(base.samples.median(), fresh.samples.median()), ratio(base.samples.median(), warm.samples.median()),
		verdict(fresh.samples.median() < 20*time.Millisecond && warm.samples.median() < 20*time.Millisecond &&
			base.samples.median() >= 10*fresh.samples.median() && base.samples.median() >= 10*warm.samples.median()))
	return section{
		title: "Cold start to the first tools/list",
		body:  sb.String(),
		summary: fmt.Sprintf("toolmux fresh %s / warm %s median (p90 %s / %s) vs mcp-server-everything %s → %s / %s faster",
			ms(fresh.samples.median()), ms(warm.samples.median()), ms(fresh.samples.p90()), ms(warm.samples.p90()), ms(base.samples.median()),
			ratio(base.samples.median(), fresh.samples.median()), ratio(base.samples.median(), warm.samples.median())),
	}
}

func verdict(met bool) string {
	if met {
		return "**met**"
	}
	return "**not met**"
}
