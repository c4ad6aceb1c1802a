package auth

// This file resolves secret references: the "env:NAME" and "keyring:NAME" values the config writes where a secret
// goes (static tokens, OAuth client secrets, upstream MCP servers' headers and environment), so that no secret is
// ever written in the config file.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/redact"
)

// secretNameRE is the name of a stored secret: what follows "keyring:" in a reference.
var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidSecretName reports whether name can be stored with SetNamedSecret and referenced as keyring:NAME.
func ValidSecretName(name string) bool { return secretNameRE.MatchString(name) }

// namedSecretKey is where the secret keyring:NAME is kept in the secret store, apart from account and client keys.
func namedSecretKey(name string) string { return "secret:" + name }

// SetNamedSecret stores value under name, for references written keyring:NAME.
func SetNamedSecret(ctx context.Context, store SecretStore, name, value string) error {
	if !ValidSecretName(name) {
		return fmt.Errorf("secret name %q: use letters, digits and underscores, starting with a letter or underscore (e.g. GITHUB_MCP_TOKEN)", name)
	}
	if err := store.Set(ctx, namedSecretKey(name), value); err != nil {
		return fmt.Errorf("store secret %s: %w", name, err)
	}
	return nil
}

// DeleteNamedSecret removes the secret name; a name that is not stored is an error wrapping ErrSecretNotFound.
func DeleteNamedSecret(ctx context.Context, store SecretStore, name string) error {
	if !ValidSecretName(name) {
		return fmt.Errorf("secret name %q: use letters, digits and underscores", name)
	}
	if _, err := store.Get(ctx, namedSecretKey(name)); err != nil {
		if errors.Is(err, ErrSecretNotFound) {
			return fmt.Errorf("no secret %s in the %s store: %w", name, store.Kind(), ErrSecretNotFound)
		}
		return err
	}
	return store.Delete(ctx, namedSecretKey(name))
}

// ResolveRef returns what a secret reference points to: "env:NAME" is the variable NAME of toolmux's environment,
// "keyring:NAME" the secret `toolmux secrets set NAME` stored. The value is added to the redaction set, so it never
// appears in a log line or an error. store may be nil when no secret store is open; keyring references then fail.
func ResolveRef(ctx context.Context, store SecretStore, ref string) (string, error) {
	name, ok := strings.CutPrefix(ref, "keyring:")
	if !ok {
		return config.ResolveSecret(ref)
	}
	if !ValidSecretName(name) {
		return "", fmt.Errorf("secret reference %q: the name after keyring: must be letters, digits and underscores", ref)
	}
	if store == nil {
		return "", fmt.Errorf("secret reference %q: no secret store is open here", ref)
	}
	v, err := store.Get(ctx, namedSecretKey(name))
	if errors.Is(err, ErrSecretNotFound) {
		return "", fmt.Errorf("the config refers to %q but the %s store has no secret %s; store it with `printf %%s \"$VALUE\" | toolmux secrets set %s`", ref, store.Kind(), name, name)
	}
	if err != nil {
		return "", fmt.Errorf("secret reference %q: %w", ref, err)
	}
	redact.Known.Add(v)
	return v, nil
}
