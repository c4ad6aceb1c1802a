package openapi

import (
	"context"
	"os"
	"testing"
	"time"
	"path/filepath"
)

func TestZZOne(t *testing.T) {
	for _, f := range filepathList(os.Getenv("ZZ")) {
		data, _ := os.ReadFile(filepath.Join(apisGuruDir, f))
		start := time.Now()
		tk, warns, err := Import(context.Background(), f, data, Options{Slug: "x"})
		n := 0
		if tk != nil { n = len(tk.Tools) }
		t.Logf("%s: %v tools=%d warns=%d err=%v", f, time.Since(start), n, len(warns), err)
	}
}

func filepathList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i]); start = i+1
		}
	}
	return out
}
