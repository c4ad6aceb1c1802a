package apivocab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	got := strings.Join(SplitWords("removeTeam /teams/{id} Get HTTPServer"), " ")
	if want := "remove team teams id get http server"; got != want {
		t.Errorf("SplitWords = %q, want %q", got, want)
	}
}

func TestSameStem(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"bill", "billing", true}, {"billing", "bill", true}, {"bill", "ball", false}, {"cat", "cats", false}} {
		if got := SameStem(tc.a, tc.b); got != tc.want {
			t.Errorf("SameStem(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json", `{"paths":{"/teams":{"get":{"summary":"List teams","operationId":"listTeams","tags":["Teams"]}}}}`)
	write("b.json", `{"paths":{"/users":{"post":{"summary":"Create a user"}}}}`)
	write("broken.json", `{"paths":`)
	write("notes.txt", `not a document`)
	var skipped []string
	counts, docs, err := Count([]string{dir, " "}, func(p string, _ error) { skipped = append(skipped, filepath.Base(p)) })
	if err != nil {
		t.Fatal(err)
	}
	if docs != 2 || counts["teams"] != 1 || counts["list"] != 1 || counts["users"] != 1 || counts["create"] != 1 {
		t.Errorf("docs = %d, counts = %v", docs, counts)
	}
	if strings.Join(skipped, ",") != "broken.json" {
		t.Errorf("skipped = %v, want broken.json only", skipped)
	}
}
