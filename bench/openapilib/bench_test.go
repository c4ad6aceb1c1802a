// Package openapilib measures the two Go OpenAPI libraries toolmux could build its importer on, loading the full
// GitHub REST description (13 MB JSON, 1,223 operations): getkin/kin-openapi and pb33f/libopenapi, and, for scale,
// toolmux's importer built on the winner. It is a separate module so that the losing library never enters
// toolmux's own dependency graph.
//
// Run from this directory:
//
//	go test -run TestPeakMemory -v .
//	go test -run '^$' -bench . -benchmem -count 5 .
//
// The results and the choice are in README.md.
package openapilib

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	toolmuxopenapi "github.com/toolmux/toolmux/tools/openapi"
)

// specPath is the GitHub description relative to this package.
var specPath = filepath.Join("..", "..", "test-tools", "node_modules", "@octokit", "openapi", "generated", "api.github.com.json")

// walkDepth is how deep the walks below descend into operation schemas: about what the importer converts.
const walkDepth = 6

func readSpec(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("read GitHub spec: %v (run npm ci in test-tools)", err)
		}
		tb.Skipf("GitHub spec missing (%v); run npm ci in test-tools", err)
	}
	return data
}

// loadKin parses and resolves the document with kin-openapi: local refs resolved, external refs refused, then walks
// every operation's schemas (already resolved by the loader, so the walk is cheap).
func loadKin(data []byte) (any, int, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: "api.github.com.json"})
	if err != nil {
		return nil, 0, fmt.Errorf("kin-openapi load: %w", err)
	}
	return doc, walkKinDoc(doc), nil
}

// loadKinJSON decodes JSON input with encoding/json straight into kin-openapi's types, skipping the YAML node tree
// the Loader builds for every input, then resolves local refs with the same Loader.
func loadKinJSON(data []byte) (any, int, error) {
	doc := &openapi3.T{}
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, 0, fmt.Errorf("kin-openapi decode: %w", err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, 0, fmt.Errorf("kin-openapi resolve: %w", err)
	}
	return doc, walkKinDoc(doc), nil
}

// loadKinNode builds kin-openapi's YAML node tree from JSON tokens (jsonToNode), decodes the document from it and
// resolves local refs with the Loader.
func loadKinNode(data []byte) (any, int, error) {
	root, err := jsonToNode(data)
	if err != nil {
		return nil, 0, fmt.Errorf("json to node: %w", err)
	}
	doc := &openapi3.T{}
	if err := root.Decode(doc); err != nil {
		return nil, 0, fmt.Errorf("kin-openapi decode: %w", err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, 0, fmt.Errorf("kin-openapi resolve: %w", err)
	}
	return doc, walkKinDoc(doc), nil
}

func walkKinDoc(doc *openapi3.T) int {
	n := 0
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			n++
			for _, p := range op.Parameters {
				if p.Value != nil {
					walkKin(p.Value.Schema, walkDepth)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walkKin(mt.Schema, walkDepth)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						walkKin(mt.Schema, walkDepth)
					}
				}
			}
		}
	}
	return n
}

func walkKin(s *openapi3.SchemaRef, depth int) {
	if s == nil || s.Value == nil || depth == 0 {
		return
	}
	v := s.Value
	for _, p := range v.Properties {
		walkKin(p, depth-1)
	}
	walkKin(v.Items, depth-1)
	for _, xs := range []openapi3.SchemaRefs{v.AllOf, v.OneOf, v.AnyOf} {
		for _, x := range xs {
			walkKin(x, depth-1)
		}
	}
}

// loadLib parses the document with libopenapi, builds the v3 model with remote and file references off, then walks
// every operation's schemas. libopenapi builds schemas lazily (SchemaProxy.Schema), so without the walk the numbers
// would leave out most of the work an importer needs.
func loadLib(data []byte) (any, int, error) {
	return loadLibModel(data, walkDepth)
}

// loadLibModelOnly builds libopenapi's v3 model and only touches each operation's top-level schemas: the least work
// libopenapi can do, for reference.
func loadLibModelOnly(data []byte) (any, int, error) {
	return loadLibModel(data, 1)
}

func loadLibModel(data []byte, depth int) (any, int, error) {
	cfg := datamodel.NewDocumentConfiguration()
	cfg.AllowFileReferences = false
	cfg.AllowRemoteReferences = false
	cfg.Logger = nil
	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("libopenapi parse: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil && model == nil {
		return nil, 0, fmt.Errorf("libopenapi build v3 model: %w", err)
	}
	n := 0
	for _, item := range model.Model.Paths.PathItems.FromOldest() {
		for _, op := range item.GetOperations().FromOldest() {
			n++
			for _, p := range op.Parameters {
				walkLib(p.Schema, depth)
			}
			if op.RequestBody != nil && op.RequestBody.Content != nil {
				for _, mt := range op.RequestBody.Content.FromOldest() {
					walkLib(mt.Schema, depth)
				}
			}
			if op.Responses != nil && op.Responses.Codes != nil {
				for _, r := range op.Responses.Codes.FromOldest() {
					if r.Content != nil {
						for _, mt := range r.Content.FromOldest() {
							walkLib(mt.Schema, depth)
						}
					}
				}
			}
		}
	}
	return model, n, nil
}

func walkLib(sp *base.SchemaProxy, depth int) {
	if sp == nil || depth == 0 {
		return
	}
	s := sp.Schema()
	if s == nil {
		return
	}
	if s.Properties != nil {
		for _, p := range s.Properties.FromOldest() {
			walkLib(p, depth-1)
		}
	}
	if s.Items != nil && s.Items.IsA() {
		walkLib(s.Items.A, depth-1)
	}
	for _, xs := range [][]*base.SchemaProxy{s.AllOf, s.OneOf, s.AnyOf} {
		for _, x := range xs {
			walkLib(x, depth-1)
		}
	}
}

var loaders = []struct {
	name string
	load func([]byte) (any, int, error)
}{
	{"kin-openapi", loadKin},
	{"kin-openapi-json", loadKinJSON},
	{"kin-openapi-node", loadKinNode},
	{"libopenapi", loadLib},
	{"libopenapi-model-only", loadLibModelOnly},
	{"toolmux-import", loadToolmux},
}

// loadToolmux runs toolmux's importer: kin-openapi fed by its own JSON scanner, then the conversion of every
// operation into a tool (input and output JSON Schemas). It does more than the loaders above, for scale.
func loadToolmux(data []byte) (any, int, error) {
	tk, _, err := toolmuxopenapi.Import(context.Background(), "api.github.com.json", data, toolmuxopenapi.Options{Slug: "github"})
	if err != nil {
		return nil, 0, err
	}
	return tk, len(tk.Tools), nil
}

// BenchmarkLoadGitHub reports parse + resolve + schema walk time and allocations per library, and the live heap
// held by the loaded document (heap-MB, measured after a GC with the document still referenced).
func BenchmarkLoadGitHub(b *testing.B) {
	data := readSpec(b)
	for _, l := range loaders {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var doc any
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				doc, _, err = l.load(data)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// CPU time (all threads, GC included) per load: steadier than wall time on a shared machine, and it
			// counts the work of libraries that parse in parallel.
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
			runtime.KeepAlive(doc)
		})
	}
}

// TestPeakMemory loads the spec once per library in a fresh child process and logs its peak RSS and the heap the
// loaded document holds, which a benchmark inside one process cannot tell apart.
func TestPeakMemory(t *testing.T) {
	if name := os.Getenv("OPENAPILIB_CHILD"); name != "" {
		childLoad(t, name)
		return
	}
	readSpec(t) // skip or fail early when the spec is missing
	for _, l := range loaders {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeakMemory$", "-test.v")
		cmd.Env = append(os.Environ(), "OPENAPILIB_CHILD="+l.name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", l.name, err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		t.Logf("%-12s peak RSS %6.1f MB (child output: %s)", l.name, float64(ru.Maxrss)/1024, firstLogLine(out))
	}
}

func childLoad(t *testing.T, name string) {
	data := readSpec(t)
	for _, l := range loaders {
		if l.name != name {
			continue
		}
		doc, n, err := l.load(data)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("RESULT operations=%d heap_after_load_MB=%.1f", n, float64(ms.HeapAlloc)/(1<<20))
		runtime.KeepAlive(doc)
		return
	}
	t.Fatalf("unknown library %q", name)
}

// cpuTime is the user plus system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func firstLogLine(out []byte) string {
	for line := range strings.Lines(string(out)) {
		if _, after, ok := strings.Cut(line, "RESULT "); ok {
			return strings.TrimSpace(after)
		}
	}
	return "(none)"
}
