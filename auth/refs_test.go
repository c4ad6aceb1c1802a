package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/redact"
)

func TestResolveRef(t *testing.T) {
	ctx := context.Background()
	store := &FileStore{Path: filepath.Join(t.TempDir(), "secrets.json")}
	if err := SetNamedSecret(ctx, store, "REMOTE_TOKEN", "tok-remote-1"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOOLMUX_TEST_REF_VAR", "from-env")
	tests := []struct {
		name  string
		store SecretStore
		ref   string
		want  string
		err   []string // substrings of the error; nil means success
	}{
		{"keyring", store, "keyring:REMOTE_TOKEN", "tok-remote-1", nil},
		{"env", store, "env:TOOLMUX_TEST_REF_VAR", "from-env", nil},
		{"env without a store", nil, "env:TOOLMUX_TEST_REF_VAR", "from-env", nil},
		{"keyring name not stored", store, "keyring:OTHER", "", []string{`"keyring:OTHER"`, "toolmux secrets set OTHER", "file store"}},
		{"keyring without a store", nil, "keyring:REMOTE_TOKEN", "", []string{"no secret store"}},
		{"keyring bad name", store, "keyring:bad-name", "", []string{"letters, digits and underscores"}},
		{"unset variable", store, "env:TOOLMUX_TEST_REF_UNSET", "", []string{"TOOLMUX_TEST_REF_UNSET is not set"}},
		{"plain text", store, "tok-remote-1", "", []string{"env:NAME", "keyring:NAME"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveRef(ctx, tc.store, tc.ref)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("ResolveRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ResolveRef(%q) = %q, want an error", tc.ref, got)
			}
			for _, w := range tc.err {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "tok-remote-1") {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
	if s := redact.Known.String("got tok-remote-1"); strings.Contains(s, "tok-remote-1") {
		t.Errorf("a resolved keyring secret is not redacted: %q", s)
	}
}

func TestNamedSecretSetDelete(t *testing.T) {
	ctx := context.Background()
	store := &FileStore{Path: filepath.Join(t.TempDir(), "secrets.json")}
	if err := SetNamedSecret(ctx, store, "9LIVES", "x"); err == nil {
		t.Error("a name starting with a digit must be refused")
	}
	if err := DeleteNamedSecret(ctx, store, "NEVER_SET"); !errors.Is(err, ErrSecretNotFound) || !strings.Contains(err.Error(), "NEVER_SET") {
		t.Errorf("deleting a missing secret: %v; want ErrSecretNotFound naming it", err)
	}
	if err := SetNamedSecret(ctx, store, "A_TOKEN", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := SetNamedSecret(ctx, store, "A_TOKEN", "v2"); err != nil {
		t.Fatal(err)
	}
	if v, err := ResolveRef(ctx, store, "keyring:A_TOKEN"); err != nil || v != "v2" {
		t.Fatalf("after replacing: %q, %v", v, err)
	}
	// Named secrets live apart from accounts' and OAuth clients' keys.
	if _, err := store.Get(ctx, "A_TOKEN"); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("a named secret must not sit under its bare name: %v", err)
	}
	if err := DeleteNamedSecret(ctx, store, "A_TOKEN"); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveRef(ctx, store, "keyring:A_TOKEN"); err == nil {
		t.Error("the deleted secret still resolves")
	}
}

// TestNamedSecretInKeychain stores a named secret in a real Secret Service and has a static API key and an OAuth
// client secret resolve from it.
func TestNamedSecretInKeychain(t *testing.T) {
	if runUnderSecretService(t) {
		return
	}
	ctx := context.Background()
	state := t.TempDir()
	st, err := OpenSecrets(ctx, StoreKeyring, state)
	if err != nil {
		t.Fatalf("open keyring store: %v", err)
	}
	if err := SetNamedSecret(ctx, st, "PETS_KEY", "pk-keychain-777"); err != nil {
		t.Fatal(err)
	}
	if v, err := secretTool(t, "lookup", "service", KeychainService, "username", "secret:PETS_KEY"); err != nil || v != "pk-keychain-777" {
		t.Fatalf("secret-tool lookup = %q, %v; want the stored value", v, err)
	}
	s := NewStaticWith(map[string]config.Auth{"pets": {Scheme: "API_KEY", Token: "keyring:PETS_KEY", In: "header", Name: "X-Key"}}, st)
	req := httptest.NewRequest(http.MethodGet, "https://pets.example/v1", nil)
	if err := s.Authorize(ctx, "pets", "", req); err != nil {
		t.Fatalf("static credential: %v", err)
	}
	if got := req.Header.Get("X-Key"); got != "pk-keychain-777" {
		t.Fatalf("X-Key = %q, want the keychain value", got)
	}
	missing := NewStaticWith(map[string]config.Auth{"pets": {Scheme: "API_KEY", Token: "keyring:NOT_STORED"}}, st)
	err = missing.Authorize(ctx, "pets", "", httptest.NewRequest(http.MethodGet, "https://pets.example/v1", nil))
	if err == nil || !strings.Contains(err.Error(), "toolmux secrets set NOT_STORED") {
		t.Fatalf("a missing keychain secret: %v; want the command that stores it", err)
	}
	if err := DeleteNamedSecret(ctx, st, "PETS_KEY"); err != nil {
		t.Fatal(err)
	}
	assertNoSecretIn(t, state, "pk-keychain-777")
}
