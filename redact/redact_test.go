package redact

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArguments(t *testing.T) {
	s := &Secrets{}
	s.Add("ghp_supersecret")
	old := Known
	Known = s
	defer func() { Known = old }()
	in := map[string]any{
		"owner":         "octo",
		"api_key":       "k",
		"X-Auth-Token":  "t",
		"password":      "p",
		"nested":        map[string]any{"client_secret": "c", "keep": 1.0},
		"list":          []any{map[string]any{"token": "x"}, "text with ghp_supersecret inside"},
		"authorization": "Bearer x",
		"author":        "not a secret",
	}
	want := map[string]any{
		"owner":         "octo",
		"api_key":       Mask,
		"X-Auth-Token":  Mask,
		"password":      Mask,
		"nested":        map[string]any{"client_secret": Mask, "keep": 1.0},
		"list":          []any{map[string]any{"token": Mask}, "text with " + Mask + " inside"},
		"authorization": Mask,
		"author":        "not a secret",
	}
	if diff := cmp.Diff(want, Arguments(in)); diff != "" {
		t.Errorf("Arguments mismatch (-want +got):\n%s", diff)
	}
	if in["api_key"] != "k" {
		t.Error("Arguments must not modify its input")
	}
}

func TestSecretsIgnoresShortValues(t *testing.T) {
	s := &Secrets{}
	s.Add("abc", "longer-secret")
	if got := s.String("abc longer-secret"); got != "abc "+Mask {
		t.Errorf("String = %q", got)
	}
}
