package main

// This file measures search end to end through MCP: the built binary serving the eval catalog over stdio, the go-sdk
// client calling COMPOSIO_SEARCH_TOOLS with seven queries at once, and the size of the meta tools' definitions.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpStats are the end-to-end measurements.
type mcpStats struct {
	calls          int
	p50, p99       time.Duration
	ping           time.Duration // median round trip of an MCP ping, the transport's floor
	listBytes      int
	listTools      int
	responseTokens int // the largest response's text, in ≈tokens (bytes/4)
	// oneQueryTokens are the median and largest text of a one-query call, in ≈tokens; wireBytes is the median size
	// of a 7-query call's result on the wire (text and structured content).
	oneQueryTokens [2]int
	oneQueryMax    string // the query of the largest one-query response
	wireBytes      int
	// unseen are the toolkits no response named a tool of: a sign the config did not load them.
	unseen []string
}

// measureMCP builds toolmux, serves the specs as configured toolkits and times calls of COMPOSIO_SEARCH_TOOLS with
// the given queries (up to seven per call).
func measureMCP(ctx context.Context, root string, specs []spec, queries []string, calls int) (mcpStats, error) {
	var st mcpStats
	dir, err := os.MkdirTemp("", "toolmux-bench-mcp-")
	if err != nil {
		return st, fmt.Errorf("make a temporary directory for the MCP bench: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "toolmux")
	buildCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(buildCtx, "go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return st, fmt.Errorf("build toolmux for the MCP bench: %v\n%s", err, out)
	}
	var cfg strings.Builder
	cfg.WriteString("[filter.tags]\ndisable = []\n\n")
	for _, s := range specs {
		fmt.Fprintf(&cfg, "[[toolkits]]\nslug = %q\ntype = \"openapi\"\nspec = %q\nreplace = true\n\n", s.slug, s.path)
	}
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err != nil {
		return st, fmt.Errorf("write the MCP bench config: %w", err)
	}
	cmd := exec.Command(bin, "--config", config, "--state-dir", filepath.Join(dir, "state"), "--user", "bench", "serve", "--ephemeral")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "XDG_STATE_HOME="+filepath.Join(dir, ".state"))
	cmd.Stderr = io.Discard
	connectCtx, cancelConnect := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelConnect()
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-bench", Version: "1.0.0"}, nil)
	cs, err := client.Connect(connectCtx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		return st, fmt.Errorf("connect to toolmux serve: %w", err)
	}
	defer cs.Close()

	list, err := cs.ListTools(connectCtx, nil)
	if err != nil {
		return st, fmt.Errorf("list the meta tools: %w", err)
	}
	raw, err := json.Marshal(list.Tools)
	if err != nil {
		return st, err
	}
	st.listBytes, st.listTools = len(raw), len(list.Tools)

	prefix := "COMPOSIO"
	for _, t := range list.Tools {
		if name, ok := strings.CutSuffix(t.Name, "_SEARCH_TOOLS"); ok {
			prefix = name
		}
	}
	type q struct {
		UseCase string `json:"use_case"`
	}
	var batches [][]q
	for i := 0; i < len(queries); i += 7 {
		var b []q
		for _, s := range queries[i:min(i+7, len(queries))] {
			b = append(b, q{s})
		}
		batches = append(batches, b)
	}
	if len(batches) == 0 {
		return st, fmt.Errorf("no queries for the MCP bench")
	}
	var lat []time.Duration
	var wires []int
	seen := map[string]bool{}
	for i := -5; i < calls; i++ { // five warm-up calls
		args := map[string]any{"queries": batches[(i+len(batches)*8)%len(batches)]}
		callCtx, cancelCall := context.WithTimeout(ctx, 30*time.Second)
		start := time.Now()
		res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: prefix + "_SEARCH_TOOLS", Arguments: args})
		d := time.Since(start)
		cancelCall()
		if err != nil {
			return st, fmt.Errorf("call %s_SEARCH_TOOLS: %w", prefix, err)
		}
		if res.IsError {
			return st, fmt.Errorf("%s_SEARCH_TOOLS failed: %s", prefix, resultText(res))
		}
		text := resultText(res)
		st.responseTokens = max(st.responseTokens, len(text)/4)
		if wire, err := json.Marshal(res); err == nil {
			wires = append(wires, len(wire))
		}
		for _, s := range specs {
			if strings.Contains(text, `"`+strings.ToUpper(s.slug)+"_") {
				seen[s.slug] = true
			}
		}
		if i >= 0 {
			lat = append(lat, d)
		}
	}
	for _, s := range specs {
		if !seen[s.slug] {
			st.unseen = append(st.unseen, s.slug)
		}
	}
	// Each query alone: the response for one query should stay near 1,500 tokens.
	var one []int
	for _, query := range queries {
		callCtx, cancelCall := context.WithTimeout(ctx, 30*time.Second)
		res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: prefix + "_SEARCH_TOOLS", Arguments: map[string]any{"queries": []q{{query}}}})
		cancelCall()
		if err != nil {
			return st, fmt.Errorf("call %s_SEARCH_TOOLS with %q: %w", prefix, query, err)
		}
		n := len(resultText(res)) / 4
		if len(one) == 0 || n > slices.Max(one) {
			st.oneQueryMax = query
		}
		one = append(one, n)
		if os.Getenv("TOOLMUX_BENCH_DUMP") == query {
			fmt.Fprintln(os.Stderr, resultText(res))
		}
	}
	slices.Sort(one)
	st.oneQueryTokens = [2]int{one[len(one)/2], one[len(one)-1]}
	slices.Sort(wires)
	st.wireBytes = wires[len(wires)/2]
	// The transport's own round trip, for scale: a ping through the same client and pipe.
	var pings []time.Duration
	for range calls {
		start := time.Now()
		if err := cs.Ping(ctx, nil); err != nil {
			return st, fmt.Errorf("ping toolmux serve: %w", err)
		}
		pings = append(pings, time.Since(start))
	}
	slices.Sort(pings)
	st.ping = pings[len(pings)/2]
	slices.Sort(lat)
	st.calls = len(lat)
	st.p50 = lat[len(lat)/2]
	st.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	return st, nil
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// approxTokens estimates tokens from bytes of JSON (about four bytes a token).
func approxTokens(bytes int) string { return "≈" + strconv.Itoa((bytes+3)/4) }
