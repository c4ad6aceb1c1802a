package tools

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tool := &Tool{Slug: "X_CREATE_ISSUE", InputSchema: json.RawMessage(`{
		"type":"object",
		"properties":{
			"owner":{"type":"string","description":"The account owner."},
			"title":{"type":"string"},
			"labels":{"type":"array","items":{"type":"string"}},
			"milestone":{"type":["integer","null"]},
			"state":{"type":"string","enum":["open","closed"]}
		},
		"required":["owner","title"],
		"additionalProperties":false}`)}
	tests := []struct {
		name string
		args map[string]any
		want []string // substrings; none means valid
	}{
		{"valid", map[string]any{"owner": "o", "title": "t", "labels": []any{"a"}, "milestone": 3.0}, nil},
		{"null allowed", map[string]any{"owner": "o", "title": "t", "milestone": nil}, nil},
		{"json.Number", map[string]any{"owner": "o", "title": "t", "milestone": json.Number("4")}, nil},
		{"json.Number not integer", map[string]any{"owner": "o", "title": "t", "milestone": json.Number("4.5")}, []string{`"milestone"`}},
		{"json.Number in a list", map[string]any{"owner": "o", "title": "t", "labels": []any{"a", json.Number("1")}}, []string{`"labels"`}},
		{"missing required", map[string]any{"title": "t"}, []string{`"owner"`, "required argument is missing", "The account owner"}},
		{"unknown with suggestion", map[string]any{"owner": "o", "titel": "t"}, []string{`"titel"`, `did you mean "title"`, "known arguments: labels, milestone, owner, state, title"}},
		{"wrong type", map[string]any{"owner": "o", "title": 5.0}, []string{`"title"`, "string"}},
		{"wrong item type", map[string]any{"owner": "o", "title": "t", "labels": []any{1.0}}, []string{`"labels"`}},
		{"not integer", map[string]any{"owner": "o", "title": "t", "milestone": 1.5}, []string{`"milestone"`}},
		{"enum", map[string]any{"owner": "o", "title": "t", "state": "merged"}, []string{`"state"`}},
	}
	var v Validator
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Validate(tool, tt.args)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestNormalize: json.Number values become float64 in a copy, so the caller's arguments are untouched; values
// without any are returned as they are.
func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
		same bool // returned without a copy
	}{
		{"plain object", map[string]any{"a": "x", "b": 1.5, "c": []any{true, nil, map[string]any{"d": "e"}}}, nil, true},
		{"empty", map[string]any{}, nil, true},
		{"scalar", "s", "s", true},
		{"top-level number", map[string]any{"n": json.Number("2")}, map[string]any{"n": 2.0}, false},
		{"nested number", map[string]any{"a": "x", "l": []any{"y", map[string]any{"n": json.Number("1e3")}}},
			map[string]any{"a": "x", "l": []any{"y", map[string]any{"n": 1000.0}}}, false},
		{"out of float range", []any{json.Number("1e999")}, []any{"1e999"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fmt.Sprintf("%#v", tt.in)
			got := normalize(tt.in)
			if tt.same {
				if fmt.Sprintf("%p", got) != fmt.Sprintf("%p", tt.in) || !reflect.DeepEqual(got, tt.in) {
					t.Fatalf("normalize copied or changed %#v: %#v", tt.in, got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("normalize = %#v, want %#v", got, tt.want)
			}
			if after := fmt.Sprintf("%#v", tt.in); after != before {
				t.Errorf("normalize changed its input: %s, was %s", after, before)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"GITHUB_CREATE_ISSUE", "github create issue"},
		{"chat.postMessage", "chat post message"},
		{"Lists the repositories of an HTTPServer", "list repository http server"},
		{"getHTTPResponseCode", "get http response code"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(Tokenize(tt.in), " "); got != tt.want {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
