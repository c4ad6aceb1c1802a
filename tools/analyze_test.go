package tools

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testdata/porter2_sample.txt is every 47th pair of the Snowball project's English sample vocabulary (voc.txt and
// output.txt, BSD licence).
func TestStemPorter2Sample(t *testing.T) {
	f, err := os.Open("testdata/porter2_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		word, want, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n++
		if got := porter2(word); got != want {
			t.Errorf("porter2(%q) = %q, want %q", word, got, want)
		}
	}
	if n < 500 {
		t.Fatalf("only %d sample words read", n)
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"repositories", "repositori"},
		{"repository", "repositori"},
		{"created", "creat"},
		{"creating", "creat"},
		{"webhooks", "webhook"},
		{"attachment", "attach"},
		{"followers", "follow"},
		{"skies", "sky"},
		{"go", "go"},
		{"ünïcode", "ünïcode"},
		{"v2", "v2"},
	}
	for _, tt := range tests {
		if got := Stem(tt.in); got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		clean bool
		want  []string
	}{
		{"snake and camel", "chat_postMessage", false, []string{"chat", "post", "message"}},
		{"acronym run", "getHTTPResponseCode", false, []string{"get", "http", "response", "code"}},
		{"plural acronym", "listIDs and URLs", false, []string{"list", "ids", "and", "urls"}},
		{"digits stay", "oauth2 v1.4", false, []string{"oauth2", "v1", "4"}},
		{"url skipped", "see https://docs.github.com/rest for more", true, []string{"see", "for", "more"}},
		{"html skipped", "<p>Creates a <code>Refund</code>&nbsp;now</p>", true, []string{"creates", "a", "refund", "now"}},
		{"html kept when not cleaning", "<p>x</p>", false, []string{"p", "x", "p"}},
		{"non-ASCII letters", "Überweisung für Ärzte", false, []string{"überweisung", "für", "ärzte"}},
		{"empty", "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			splitWords(tt.in, tt.clean, func(w []byte) { got = append(got, string(w)) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitWords(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSegment(t *testing.T) {
	words := map[string]bool{"get": true, "tasks": true, "task": true, "for": true, "user": true, "list": true, "post": true, "message": true}
	tests := []struct {
		in   string
		want []string
	}{
		{"gettasksforusertasklist", []string{"get", "tasks", "for", "user", "task", "list"}},
		{"postmessage", []string{"post", "message"}},
		{"zzzunknown", []string{"zzzunknown"}},
		{"postamessage", []string{"post", "a", "message"}}, // an article between words
		{"apost", []string{"apost"}},                       // but not at the start
		{"posta", []string{"posta"}},                       // nor at the end
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, segment(tt.in, words)); diff != "" {
			t.Errorf("segment(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestForEachSentenceAndBoilerplate(t *testing.T) {
	var got []string
	forEachSentence("Lists pets. Needs the `read` scope! Is it paged? yes\nnext line", func(s string) { got = append(got, s) })
	want := []string{"Lists pets.", "Needs the `read` scope!", "Is it paged?", "yes", "next line"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sentences mismatch (-want +got):\n%s", diff)
	}
	common := " OAuth app tokens and personal access tokens need the repo scope to use this endpoint."
	var ts []*Tool
	for i, d := range []string{"Lists labels.", "Lists issues.", "Gets a label.", "Deletes a label.", "Creates a widget."} {
		desc := d
		if i < 4 {
			desc += common
		}
		ts = append(ts, &Tool{Slug: "X_" + string(rune('A'+i)), Toolkit: "x", Description: desc})
	}
	bp, _ := boilerplate(ts, 4, nil)
	if !bp[sentenceHash(strings.TrimSpace(common))] {
		t.Error("a sentence in 4 tools must be boilerplate")
	}
	if bp[sentenceHash("Lists labels.")] {
		t.Error("a sentence in one tool must not be boilerplate")
	}
	ix := NewIndex(ts)
	if hits := ix.Search("personal access tokens scope", nil, 5); len(hits) != 0 {
		t.Errorf("boilerplate words were indexed: %v", hits)
	}
}

func TestSplitWordsCase(t *testing.T) {
	tests := []struct {
		in   string
		want []string // title-case words
	}{
		{"upgrade Acme from the Basic tier to Premium", []string{"acme", "basic", "premium"}},
		{"attach the PDF to GitHub issue 42", []string{"git"}}, // "PDF" is an acronym; "Hub" splits a camelCase word
		{"ask Über-Ärzte", []string{"über", "ärzte"}},
		{"iPhone and macOS", nil},
		{"A", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got, all []string
			splitWordsCase(tt.in, true, func(w []byte, title bool) {
				all = append(all, string(w))
				if title {
					got = append(got, string(w))
				}
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("title-case words of %q (-want +got):\n%s", tt.in, diff)
			}
			var plain []string
			splitWords(tt.in, true, func(w []byte) { plain = append(plain, string(w)) })
			if diff := cmp.Diff(plain, all); diff != "" {
				t.Errorf("splitWordsCase and splitWords split %q differently (-splitWords +splitWordsCase):\n%s", tt.in, diff)
			}
		})
	}
}
