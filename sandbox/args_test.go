package sandbox

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestArgsGolden(t *testing.T) {
	merged := []SystemLink{{"bin", "usr/bin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}, {"sbin", "usr/sbin"}}
	tests := []struct {
		name string
		opts Options
	}{
		{"user", Options{FilesDir: "/state/sessions/u/s/files", Links: merged, Limits: DefaultLimits,
			Command: []string{"/usr/bin/bash", "-c", "ls"}}},
		{"root", Options{FilesDir: "/state/sessions/u/s/files", Links: merged, DropTo: 65534, Limits: DefaultLimits,
			Command: []string{"/usr/bin/python3", "-I", "-c", "kernel"}}},
		{"split-usr", Options{FilesDir: "/f", Links: []SystemLink{{"bin", ""}, {"lib", ""}},
			Limits: Limits{Processes: 8}, Command: []string{"/bin/true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Args(tt.opts), "\n") + "\n"
			path := filepath.Join("testdata", "args-"+tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./sandbox -run TestArgsGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("bwrap args changed (-want +got); if intended, rerun with -update:\n%s", diff)
			}
		})
	}
}
