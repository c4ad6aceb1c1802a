package main

// Importing the full GitHub description, starting with its compiled catalog cached or not, and the size of the
// tools/list answer with meta tools versus toolkit tools listed directly.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// childRun is one finished child process.
type childRun struct {
	wall   time.Duration
	rssKiB int64 // peak resident set size (ru_maxrss)
	stdout []byte
}

// runChild runs cmd to completion and measures its wall time and peak RSS.
func runChild(cmd *exec.Cmd) (childRun, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := childRun{wall: time.Since(start), stdout: stdout.Bytes()}
	if err != nil {
		return r, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, tail(stderr.String()))
	}
	r.rssKiB = maxRSSKiB(cmd.ProcessState)
	return r, nil
}

type importResult struct {
	spec      string
	specBytes int64
	tools     int
	imports   []childRun
	reported  samples // the importer's own "seconds"
	cached    []childRun
	cold      []childRun
	stateDir  string // a state dir with the full description imported and cached
}

// importRuns is how many times the 13 MB description is imported, each time into a new state dir.
const importRuns = 3

// coldRuns is how many `tools list` runs compile the catalog.
const coldRuns = 3

func (b *bench) importAndCache(ctx context.Context) (*importResult, error) {
	spec, err := b.githubSpec()
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, err
	}
	res := &importResult{spec: spec, specBytes: fi.Size()}
	for i := range importRuns {
		dir := b.dir("state-import")
		b.log.Info("importing the GitHub description", "run", i+1, "of", importRuns)
		r, err := runChild(b.toolmuxCmd(ctx, "toolkits", "import", "openapi", spec, "--slug", "github", "--replace",
			"--base-url", "http://127.0.0.1:9", "--json", "--state-dir", dir))
		if err != nil {
			return nil, err
		}
		var out struct {
			Tools   int     `json:"tools"`
			Seconds float64 `json:"seconds"`
		}
		if err := json.Unmarshal(r.stdout, &out); err != nil {
			return nil, fmt.Errorf("import --json output: %w", err)
		}
		res.tools = out.Tools
		res.imports = append(res.imports, r)
		res.reported = append(res.reported, time.Duration(out.Seconds*float64(time.Second)))
		res.stateDir = dir
	}

	list := func() (childRun, error) {
		return runChild(b.toolmuxCmd(ctx, "tools", "list", "--json", "--state-dir", res.stateDir))
	}
	// The import compiled the catalog into the cache: these starts read it.
	if _, err := list(); err != nil { // page cache
		return nil, err
	}
	for range b.runs {
		r, err := list()
		if err != nil {
			return nil, err
		}
		res.cached = append(res.cached, r)
	}
	// The cache key includes the executable's size and modification time, so that a rebuilt binary never reads a
	// catalog compiled by another importer. Touching the binary is a rebuild as far as the cache knows: the next start
	// compiles the description again.
	info, err := os.Stat(b.toolmux)
	if err != nil {
		return nil, err
	}
	for i := range coldRuns {
		t := info.ModTime().Add(time.Duration(i+1) * time.Second)
		if err := os.Chtimes(b.toolmux, t, t); err != nil {
			return nil, err
		}
		r, err := list()
		if err != nil {
			return nil, err
		}
		res.cold = append(res.cold, r)
	}
	// Later measurements read the cache written by the last cold run.
	return res, nil
}

func walls(runs []childRun) samples {
	var s samples
	for _, r := range runs {
		s = append(s, r.wall)
	}
	return s
}

func peakRSS(runs []childRun) int64 {
	var m int64
	for _, r := range runs {
		m = max(m, r.rssKiB)
	}
	return m
}

func (r *importResult) section() section {
	imp, cached, cold := walls(r.imports), walls(r.cached), walls(r.cold)
	var sb strings.Builder
	fmt.Fprintf(&sb, "**What:** importing the full published GitHub description (`@octokit/openapi` api.github.com.json, "+
		"%.1f MB, %d tools) with the CLI, and how long the next command that needs the catalog takes to start when the "+
		"compiled catalog is cached in the state database versus when it must be compiled again.\n\n", float64(r.specBytes)/1e6, r.tools)
	fmt.Fprintf(&sb, "**How:** `toolmux toolkits import openapi api.github.com.json --slug github --replace --base-url URL --json "+
		"--state-dir NEW_DIR`, %d times into new state dirs; wall time of the process, the importer's own reported "+
		"parse time, and peak RSS as ru_maxrss of the child (what `/usr/bin/time -v` prints as maximum resident set "+
		"size). Then `toolmux tools list --json` on that state dir: %d runs with the cache warm, and %d runs each "+
		"after touching the binary's modification time, which changes the cache key exactly as a rebuild does.\n\n",
		importRuns, len(r.cached), len(r.cold))
	sb.WriteString("| measurement | median | min | max | peak RSS |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(&sb, "| import, whole command | %s | %s | %s | %s |\n", ms(imp.median()), ms(imp.min()), ms(imp.max()), mib(peakRSS(r.imports)))
	fmt.Fprintf(&sb, "| import, parse and compile as reported by the importer | %s | %s | %s | |\n", ms(r.reported.median()), ms(r.reported.min()), ms(r.reported.max()))
	fmt.Fprintf(&sb, "| `tools list`, catalog cached | %s | %s | %s | %s |\n", ms(cached.median()), ms(cached.min()), ms(cached.max()), mib(peakRSS(r.cached)))
	fmt.Fprintf(&sb, "| `tools list`, catalog compiled (cold cache) | %s | %s | %s | %s |\n", ms(cold.median()), ms(cold.min()), ms(cold.max()), mib(peakRSS(r.cold)))
	fmt.Fprintf(&sb, "\n**Ratio:** a start with the cached catalog is **%s** faster than one that compiles it (cold median ÷ "+
		"cached median) and peaks at %s of memory instead of %s. The import has no external baseline; it "+
		"processes %.1f MB/s of description (whole command).\n",
		ratio(cold.median(), cached.median()), mib(peakRSS(r.cached)), mib(peakRSS(r.cold)),
		float64(r.specBytes)/1e6/imp.median().Seconds())
	return section{
		title: "Importing the full GitHub description; catalog cache",
		body:  sb.String(),
		summary: fmt.Sprintf("import %s (peak RSS %s); tools list cached %s vs cold %s → %s",
			ms(imp.median()), mib(peakRSS(r.imports)), ms(cached.median()), ms(cold.median()), ratio(cold.median(), cached.median())),
	}
}

// listSize compares the tools/list answer of the meta tools with listing toolkit tools directly (--no-meta), for
// the curated GitHub toolkit and for the full GitHub description, and with the node reference server.
func (b *bench) listSize(ctx context.Context, start *coldStartResult, imp *importResult) (section, error) {
	type row struct {
		name, command string
		pages         []json.RawMessage
		took          time.Duration
	}
	rows := []row{{name: "toolmux meta tools (default)", command: "toolmux serve", pages: []json.RawMessage{start.variants[1].list}, took: start.variants[1].samples.median()}}
	for _, v := range []struct{ name, command, stateDir string }{
		{"toolmux --no-meta, curated GitHub toolkit", "toolmux serve --no-meta", start.warmDir},
		{"toolmux --no-meta, full GitHub description imported", "toolmux serve --no-meta (after the import above)", imp.stateDir},
	} {
		d, pages, err := listTools(ctx, b.toolmuxCmd(ctx, "serve", "--no-meta", "--state-dir", v.stateDir), true)
		if err != nil {
			return section{}, fmt.Errorf("%s: %w", v.name, err)
		}
		rows = append(rows, row{v.name, v.command, pages, d})
	}
	rows = append(rows, row{name: "mcp-server-everything (reference)", command: "mcp-server-everything stdio", pages: []json.RawMessage{start.variants[2].list}, took: start.variants[2].samples.median()})

	var sb strings.Builder
	sb.WriteString("**What:** the size of the `tools/list` answer a host puts in front of the model: with toolmux's meta tools, " +
		"and with the same tools listed directly.\n\n")
	sb.WriteString("**How:** the `result` member of each `tools/list` answer, in bytes as the server encoded it (compact JSON), summed " +
		"over pages (the go-sdk server pages at 1,000 tools); tokens are approximated as bytes ÷ 4 (no tokenizer is run). Time to the " +
		"first page is shown for context (median of the cold-start runs for the first and last rows, one run for the `--no-meta` rows, " +
		"which wait for the catalog).\n\n")
	sb.WriteString("| listing | command | tools | pages | bytes | ≈ tokens (bytes/4) | time to first page |\n|---|---|---:|---:|---:|---:|---:|\n")
	size := make([]int, len(rows))
	for i, r := range rows {
		tools := 0
		for _, p := range r.pages {
			var res struct {
				Tools []json.RawMessage `json:"tools"`
			}
			if err := json.Unmarshal(p, &res); err != nil {
				return section{}, fmt.Errorf("%s: tools/list result: %w", r.name, err)
			}
			tools += len(res.Tools)
			size[i] += len(p)
		}
		fmt.Fprintf(&sb, "| %s | `%s` | %d | %d | %d | %d | %s |\n", r.name, r.command, tools, len(r.pages), size[i], size[i]/4, ms(r.took))
	}
	metaBytes, curated, full := size[0], size[1], size[2]
	fmt.Fprintf(&sb, "\n**Ratio:** listing the curated GitHub toolkit directly costs **%.1f×** the bytes of the meta tools; listing "+
		"the full GitHub description costs **%.0f×** (and most hosts refuse that many tools).\n",
		float64(curated)/float64(metaBytes), float64(full)/float64(metaBytes))
	return section{
		title: "Size of the tools/list answer",
		body:  sb.String(),
		summary: fmt.Sprintf("meta tools %d bytes (≈%d tokens) vs curated GitHub --no-meta %d bytes (%.1f×) vs full GitHub %d bytes (%.0f×)",
			metaBytes, metaBytes/4, curated, float64(curated)/float64(metaBytes), full, float64(full)/float64(metaBytes)),
	}, nil
}
