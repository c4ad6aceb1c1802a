package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "syn.txt")
	if err := run("testdata/wordnet", []string{"testdata/specs"}, 3, 0.5, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"\nsquad\tteam\n", "\nget_rid_of\tremove\n", "\n=removed\tremove\n", "Princeton University"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// plate and home share a synset that is not home's main sense; team is an API word, so it gets no synonyms.
	for _, bad := range []string{"\nplate\t", "\nteam\t"} {
		if strings.Contains(text, bad) {
			t.Errorf("output has %q:\n%s", bad, text)
		}
	}
}
