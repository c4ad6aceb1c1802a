package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// goBenchSection runs the packages' Go benchmarks for the workbench and for credentials, and tabulates them: the
// numbers issues ask for that are best measured in-process.
func goBenchSection(ctx context.Context, root string) (section, error) {
	s := section{title: "Workbench and credentials (Go benchmarks)"}
	runs := []struct{ pkg, pattern string }{
		{"./sandbox", "."},
		{"./server", "RunComposioTool"},
		{"./auth", "AuthorizeWarm|AuthCodeCallback"},
	}
	what := map[string]string{
		"BenchmarkKernelFirstCall":                   "first workbench call: bubblewrap and the Python kernel start (goal < 100 ms)",
		"BenchmarkKernelWarmCall":                    "warm workbench call: a round trip to the running kernel (goal < 1 ms)",
		"BenchmarkBash":                              "one bash command in a fresh sandboxed process",
		"BenchmarkRunComposioTool/run_composio_tool": "100 run_composio_tool calls from one cell (per op); ns/toolcall is per call",
		"BenchmarkRunComposioTool/multi_execute":     "the same tool through COMPOSIO_MULTI_EXECUTE_TOOL over in-memory MCP, per call (the direct baseline)",
		"BenchmarkAuthorizeWarm":                     "credential lookup per tool call, warm cache (goal < 1 ms)",
		"BenchmarkAuthCodeCallback":                  "OAuth callback to ACTIVE against a local token endpoint",
	}
	var b strings.Builder
	b.WriteString("**How:** `go test -run '^$' -bench PATTERN -benchtime 20x PKG` in the same run as the sections above; " +
		"ns/op converted to milliseconds, custom metrics as reported. The keychain read latency needs a Secret Service: " +
		"`TOOLMUX_BENCH_KEYRING=1 go test ./auth -run NONE -bench KeychainGet` under `dbus-run-session` (see auth/bench_test.go).\n\n")
	b.WriteString("| benchmark | what | per op | other metrics |\n|---|---|---:|---|\n")
	var summary []string
	for _, r := range runs {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		cmd := exec.CommandContext(cctx, "go", "test", "-run", "^$", "-bench", r.pattern, "-benchtime", "20x", r.pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return s, fmt.Errorf("go test -bench %s %s: %w\n%s", r.pattern, r.pkg, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
				continue
			}
			ns, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				continue
			}
			var extra []string
			for i := 4; i+1 < len(f); i += 2 {
				extra = append(extra, f[i]+" "+f[i+1])
			}
			name := strings.TrimSuffix(f[0], "-"+lastDash(f[0]))
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, what[name], fmtMillis(ns), strings.Join(extra, ", "))
			summary = append(summary, fmt.Sprintf("%s %s", strings.TrimPrefix(name, "Benchmark"), fmtMillis(ns)))
		}
	}
	s.body = b.String()
	s.summary = strings.Join(summary, "; ")
	return s, nil
}

func lastDash(s string) string {
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return s[i+1:]
	}
	return ""
}

func fmtMillis(ns float64) string {
	ms := ns / 1e6
	switch {
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms >= 0.01:
		return fmt.Sprintf("%.3f ms", ms)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}
