package openapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestZZSmoke2(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		tk, warns, err := Import(context.Background(), filepath.Base(f), data, Options{Slug: "t"})
		if err != nil {
			t.Logf("%s: ERR %v", f, err)
			continue
		}
		b, _ := json.MarshalIndent(tk, "", "  ")
		t.Logf("%s: %d tools warns %v\n%s", f, len(tk.Tools), warns, b)
	}
}
