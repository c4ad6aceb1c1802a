package main

// Upstream MCP servers through toolmux: server-everything's echo called through COMPOSIO_MULTI_EXECUTE_TOOL versus
// the same server called directly with the go-sdk client and through a raw line relay (the floor of a second stdio
// hop), in one interleaved loop; the time to the first call with the lazy start; and the memory an upstream costs.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// echoCalls is how many echo calls each side makes (after echoWarmup unmeasured ones).
const (
	echoCalls  = 400
	echoWarmup = 40
)

// upstreamSection measures upstream MCP servers; a failure becomes the section's text, so the rest of the report
// is still written.
func (b *bench) upstreamSection(ctx context.Context) section {
	s, err := b.upstream(ctx)
	if err != nil {
		b.log.Warn("upstream benchmark failed", "err", err)
		return section{title: "Upstream MCP servers", body: fmt.Sprintf("_Not measured: %v_\n", err)}
	}
	return s
}

func (b *bench) upstream(ctx context.Context) (section, error) {
	title := "Upstream MCP servers"
	bin, err := b.nodeBin("mcp-server-everything")
	if err != nil {
		return section{}, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return section{}, fmt.Errorf("node is missing: %w", err)
	}
	dir := b.dir("upstream")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return section{}, err
	}
	config := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf("log_level = \"warn\"\n\n[builtin]\ndisable = [\"github\"]\n\n[[toolkits]]\nslug = \"everything\"\ntype = \"mcp\"\ncommand = %q\nargs = [%q, \"stdio\"]\n", node, bin)
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		return section{}, err
	}
	state := filepath.Join(dir, "state")
	// The first load lists the upstream's tools once and caches them; every start after it is lazy.
	if out, err := b.toolmuxCmd(ctx, "toolkits", "list", "--config", config, "--state-dir", state).CombinedOutput(); err != nil {
		return section{}, fmt.Errorf("toolkits list: %w\n%s", err, out)
	}
	serve := func() *exec.Cmd {
		cmd := b.toolmuxCmd(ctx, "serve", "--config", config, "--state-dir", state)
		cmd.Stderr = os.Stderr
		return cmd
	}
	direct := func() *exec.Cmd { return exec.CommandContext(ctx, node, bin, "stdio") }
	relayBin := filepath.Join(b.tmp, "bin", "linerelay")
	build := exec.CommandContext(ctx, "go", "build", "-o", relayBin, "./bench/cmd/linerelay")
	build.Dir = b.root
	if out, err := build.CombinedOutput(); err != nil {
		return section{}, fmt.Errorf("go build ./bench/cmd/linerelay: %w\n%s", err, out)
	}

	// Time to the first call: process start to the first echo result, toolmux (lazy start of the upstream) versus
	// the server alone. Fresh processes each run.
	runs := min(b.runs, 10)
	var firstTM, firstDirect, initTM samples
	var tmBefore, tmAfter, upTree int64
	for i := 0; i < runs; i++ {
		b.log.Info("upstream: first call", "run", i+1, "of", runs)
		start := time.Now()
		cs, cmd, err := connect(ctx, serve())
		if err != nil {
			return section{}, err
		}
		initTM = append(initTM, time.Since(start))
		self, _ := rssKiB(cmd.Process.Pid)
		if _, err := echoThroughToolmux(ctx, cs, "first"); err != nil {
			cs.Close()
			return section{}, err
		}
		firstTM = append(firstTM, time.Since(start))
		if i == runs-1 {
			after, tree := rssKiB(cmd.Process.Pid)
			tmBefore, tmAfter, upTree = self, after, tree-after
		}
		cs.Close()

		start = time.Now()
		ds, _, err := connect(ctx, direct())
		if err != nil {
			return section{}, err
		}
		if _, err := echoDirect(ctx, ds, "first"); err != nil {
			ds.Close()
			return section{}, err
		}
		firstDirect = append(firstDirect, time.Since(start))
		ds.Close()
	}

	// Latency: all three connected at once, calls alternating (the order rotating) so that load on the machine hits
	// them alike.
	cs, _, err := connect(ctx, serve())
	if err != nil {
		return section{}, err
	}
	defer cs.Close()
	ds, _, err := connect(ctx, direct())
	if err != nil {
		return section{}, err
	}
	defer ds.Close()
	rs, _, err := connect(ctx, exec.CommandContext(ctx, relayBin, node, bin, "stdio"))
	if err != nil {
		return section{}, err
	}
	defer rs.Close()
	var viaTM, viaDirect, viaRelay samples
	b.log.Info("upstream: echo latency", "calls", echoCalls)
	for i := 0; i < echoWarmup+echoCalls; i++ {
		msg := fmt.Sprintf("m%d", i)
		var t [3]time.Duration
		for k := range 3 {
			var err error
			switch j := (i + k) % 3; j {
			case 0:
				t[j], err = echoThroughToolmux(ctx, cs, msg)
			case 1:
				t[j], err = echoDirect(ctx, ds, msg)
			case 2:
				t[j], err = echoDirect(ctx, rs, msg)
			}
			if err != nil {
				return section{}, err
			}
		}
		if i >= echoWarmup {
			viaTM, viaDirect, viaRelay = append(viaTM, t[0]), append(viaDirect, t[1]), append(viaRelay, t[2])
		}
	}

	var body strings.Builder
	fmt.Fprintf(&body, "`@modelcontextprotocol/server-everything` declared as an mcp toolkit. %d echo calls through toolmux "+
		"(one-call `COMPOSIO_MULTI_EXECUTE_TOOL`, go-sdk client over stdio) alternate with %d echo calls to the same server "+
		"started directly and called with the go-sdk client, and %d through a raw line relay (`bench/cmd/linerelay`: a "+
		"process between the client and the server that copies newline-delimited lines without decoding them, the floor "+
		"of a second stdio hop), after %d unmeasured calls each.\n\n", echoCalls, echoCalls, echoCalls, echoWarmup)
	body.WriteString("| Echo call | p50 | p90 | p99 |\n|---|---|---|---|\n")
	p99 := func(s samples) time.Duration { return s.quantile(0.99) }
	fmt.Fprintf(&body, "| Through toolmux | %s | %s | %s |\n", us(viaTM.median()), us(viaTM.p90()), us(p99(viaTM)))
	fmt.Fprintf(&body, "| Raw line relay, no MCP work | %s | %s | %s |\n", us(viaRelay.median()), us(viaRelay.p90()), us(p99(viaRelay)))
	fmt.Fprintf(&body, "| Direct (baseline) | %s | %s | %s |\n", us(viaDirect.median()), us(viaDirect.p90()), us(p99(viaDirect)))
	fmt.Fprintf(&body, "| Overhead (toolmux − direct) | %s (%s) | %s | %s (%s) |\n", us(viaTM.median()-viaDirect.median()), ratio(viaTM.median(), viaDirect.median()),
		us(viaTM.p90()-viaDirect.p90()), us(p99(viaTM)-p99(viaDirect)), ratio(p99(viaTM), p99(viaDirect)))
	fmt.Fprintf(&body, "| Of which the second hop (relay − direct) | %s (%s) | %s | %s |\n\n", us(viaRelay.median()-viaDirect.median()),
		ratio(viaRelay.median(), viaDirect.median()), us(viaRelay.p90()-viaDirect.p90()), us(p99(viaRelay)-p99(viaDirect)))
	body.WriteString("The overhead includes a second stdio hop (client to toolmux, toolmux to the upstream), whose floor is the " +
		"raw relay's row, and the MCP work on every call: go-sdk decoding the request and validating its arguments, " +
		"the meta tool's validation against the upstream tool's schema, queueing the execution log row (written to " +
		"SQLite in the background), the upstream call's encoding and decoding, and the result envelope.\n\n")
	fmt.Fprintf(&body, "Time to the first call, process start to the first echo result (median of %d fresh starts; the tool "+
		"list comes from the cache, so the upstream starts at the first call):\n\n", runs)
	body.WriteString("| | median | min | max |\n|---|---|---|---|\n")
	fmt.Fprintf(&body, "| toolmux, to initialize answered (upstream not started) | %s | %s | %s |\n", ms(initTM.median()), ms(initTM.min()), ms(initTM.max()))
	fmt.Fprintf(&body, "| toolmux, to the first echo (lazy start) | %s | %s | %s |\n", ms(firstTM.median()), ms(firstTM.min()), ms(firstTM.max()))
	fmt.Fprintf(&body, "| server-everything alone, to the first echo (baseline) | %s | %s | %s |\n", ms(firstDirect.median()), ms(firstDirect.min()), ms(firstDirect.max()))
	fmt.Fprintf(&body, "| Ratio | %s | | |\n\n", ratio(firstTM.median(), firstDirect.median()))
	fmt.Fprintf(&body, "Memory (VmRSS): toolmux %s before the upstream started, %s after (%s for the upstream's client); the upstream's "+
		"process tree %s.\n", kib(tmBefore), kib(tmAfter), kib(tmAfter-tmBefore), kib(upTree))
	summary := fmt.Sprintf("echo p50 %s via toolmux vs %s direct (+%s, %s), raw relay %s; first call %s vs %s direct; upstream RSS %s",
		us(viaTM.median()), us(viaDirect.median()), us(viaTM.median()-viaDirect.median()), ratio(viaTM.median(), viaDirect.median()),
		us(viaRelay.median()), ms(firstTM.median()), ms(firstDirect.median()), kib(upTree))
	return section{title: title, body: body.String(), summary: summary}, nil
}

// onlySection measures the one section -only names and prints its Markdown to stdout.
func (b *bench) onlySection(ctx context.Context, name string) error {
	var s section
	switch name {
	case "upstream":
		var err error
		if s, err = b.upstream(ctx); err != nil {
			return err
		}
	case "coldstart":
		start, err := b.coldStart(ctx)
		if err != nil {
			return err
		}
		s = start.section()
	default:
		return fmt.Errorf("-only %q: the sections that run alone are: coldstart, upstream", name)
	}
	var r report
	r.add(s)
	os.Stdout.Write(r.bytes())
	fmt.Fprint(os.Stderr, r.summary.String())
	return nil
}

// connect starts cmd and connects the go-sdk client to it over stdio.
func connect(ctx context.Context, cmd *exec.Cmd) (*mcp.ClientSession, *exec.Cmd, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-bench", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", cmd.Path, err)
	}
	return cs, cmd, nil
}

func echoDirect(ctx context.Context, cs *mcp.ClientSession, msg string) (time.Duration, error) {
	start := time.Now()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": msg}})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.IsError {
		return 0, fmt.Errorf("direct echo failed: %v", res.Content)
	}
	return elapsed, nil
}

func echoThroughToolmux(ctx context.Context, cs *mcp.ClientSession, msg string) (time.Duration, error) {
	start := time.Now()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_MULTI_EXECUTE_TOOL", Arguments: map[string]any{
		"tools": []map[string]any{{"tool_slug": "EVERYTHING_ECHO", "arguments": map[string]any{"message": msg}}},
	}})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if res.IsError || !strings.Contains(string(raw), `"error_count":0`) || !strings.Contains(string(raw), msg) {
		return 0, fmt.Errorf("echo through toolmux failed: %s", raw)
	}
	return elapsed, nil
}

// us formats a duration in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

// kib formats kibibytes as MiB with one decimal.
func kib(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }
