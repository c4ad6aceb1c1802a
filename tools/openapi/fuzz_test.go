package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// addSeeds adds every testdata document to the corpus.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzImport feeds arbitrary bytes to Import: it must return a usable toolkit or an *ImportError naming the
// construct, never panic (Import recovers, so a recovered panic is reported as a failure too) or break its own
// invariants.
func FuzzImport(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		tk, _, err := Import(context.Background(), "fuzz.json", data, Options{Slug: "fuzz", MaxBytes: 1 << 20})
		// A small document that takes seconds is a denial of service, not a slow machine.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Import of %d bytes took %v", len(data), d)
		}
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Construct == "" {
				t.Fatalf("error is not an *ImportError with a construct: %#v", err)
			}
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("Import panicked: %v", err)
			}
			return
		}
		if problem := checkToolkit("fuzz.json", tk.Tools); problem != "" {
			t.Fatal(problem)
		}
	})
}

// FuzzParseJSON checks the JSON scanner against encoding/json: it accepts exactly what json.Valid accepts (except
// what it refuses on purpose: nesting over maxNesting, numbers out of float64 range) and yields the same value.
func FuzzParseJSON(f *testing.F) {
	addSeeds(f)
	for _, s := range []string{`{"a":1,"a":2}`, `[1e400]`, `"\ud83d\ude00 \u00e9"`, `-0.5e-3`, `{"k":"\xff"}`, `[]`, `01`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		node, err := parseJSON(data)
		valid := json.Valid(data)
		if err != nil {
			msg := err.Error()
			if valid && !strings.Contains(msg, "nested deeper") && !strings.Contains(msg, "out of range") {
				t.Fatalf("scanner refused valid JSON %q: %v", data, err)
			}
			return
		}
		if !valid {
			t.Fatalf("scanner accepted invalid JSON %q", data)
		}
		var want, got any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if err := node.Decode(&got); err != nil {
			t.Fatalf("decode scanned tree of %q: %v", data, err)
		}
		// The YAML decoder yields ints where encoding/json yields float64: compare as JSON.
		wantJS, _ := json.Marshal(want)
		gotJS, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("scanned tree of %q does not encode: %v", data, err)
		}
		var w, g any
		_ = json.Unmarshal(wantJS, &w)
		_ = json.Unmarshal(gotJS, &g)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Fatalf("scanner and encoding/json disagree on %q (-json +scanner):\n%s", data, diff)
		}
	})
}
