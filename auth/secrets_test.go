package auth

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool skips when a program is missing, and fails under CI, where .ci/run installs it.
func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; .ci/run installs it (apt gnome-keyring libsecret-tools)", n)
			}
			t.Skipf("%s is missing (apt-get install gnome-keyring libsecret-tools)", n)
		}
	}
}

// inKeyringChild marks the test binary re-executed under a private D-Bus session with gnome-keyring unlocked.
const inKeyringChild = "TOOLMUX_TEST_KEYRING_CHILD"

// runUnderSecretService re-executes this test binary (only test name) inside
// `dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock …; exec TESTBINARY -test.run=^name$'` with a throwaway
// HOME and XDG_DATA_HOME, so the test talks to a real Secret Service and never to the developer's own keyring.
// It returns true in the parent (which has then checked the child's result) and false in the child.
func runUnderSecretService(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inKeyringChild) != "" {
		return false
	}
	requireTool(t, "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	home := t.TempDir()
	script := `echo -n toolmux-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" -test.run="$1" -test.v -test.count=1`
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c", script, os.Args[0], "^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), inKeyringChild+"=1", "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_RUNTIME_DIR="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("keyring child failed: %v\n%s", err, out)
	}
	t.Logf("child under dbus-run-session + gnome-keyring:\n%s", out)
	return true
}

func secretTool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("secret-tool", args...).Output()
	return string(out), err
}

func TestKeychainAgainstSecretService(t *testing.T) {
	if runUnderSecretService(t) {
		return
	}
	ctx := context.Background()
	state := t.TempDir()
	st, err := OpenSecrets(ctx, StoreKeyring, state)
	if err != nil {
		t.Fatalf("open keyring store: %v", err)
	}
	if st.Kind() != StoreKeyring || st.Notice() != "" {
		t.Fatalf("store = %s, notice %q; want keyring and no notice", st.Kind(), st.Notice())
	}
	const key, first, refreshed = "ca_testkeychain", `{"access_token":"gho_first-secret-123"}`, `{"access_token":"gho_refreshed-456"}`
	if err := st.Set(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, key); err != nil || v != first {
		t.Fatalf("Get = %q, %v; want the stored value", v, err)
	}
	// go-keyring stores service and username attributes: secret-tool sees the same item.
	if v, err := secretTool(t, "lookup", "service", KeychainService, "username", key); err != nil || v != first {
		t.Fatalf("secret-tool lookup = %q, %v; want the stored value", v, err)
	}
	if err := st.Set(ctx, key, refreshed); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get(ctx, key); v != refreshed {
		t.Fatalf("after refresh Get = %q", v)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, key); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get after Delete: %v; want ErrSecretNotFound", err)
	}
	if v, err := secretTool(t, "lookup", "service", KeychainService, "username", key); err == nil {
		t.Fatalf("secret-tool still finds the deleted item: %q", v)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing item: %v", err)
	}
	assertNoSecretIn(t, state, "gho_first-secret-123", "gho_refreshed-456")
}

// assertNoSecretIn fails when any file under dir contains one of the secrets.
func assertNoSecretIn(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains a secret", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecretStoreModesWithoutKeychain(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // Linux: no session bus means no keychain
	if err := (&Keychain{Service: KeychainService}).Probe(context.Background()); err == nil {
		t.Skip("this OS has a keychain without a session bus (macOS, Windows)")
	}
	tests := []struct {
		mode       string
		wantErr    string
		wantKind   string
		wantNotice string
	}{
		{mode: "auto", wantKind: StoreFile, wantNotice: "OS keychain unavailable"},
		{mode: "", wantKind: StoreFile, wantNotice: "0600 file"},
		{mode: "file", wantKind: StoreFile},
		{mode: "keyring", wantErr: "refuse|unreachable"},
		{mode: "vault", wantErr: "use \"auto\""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			dir := t.TempDir()
			st, err := OpenSecrets(context.Background(), tt.mode, dir)
			if tt.wantErr != "" {
				if err == nil || !containsAny(err.Error(), strings.Split(tt.wantErr, "|")) {
					t.Fatalf("err = %v; want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Kind() != tt.wantKind {
				t.Fatalf("kind = %s; want %s", st.Kind(), tt.wantKind)
			}
			if tt.wantNotice == "" && st.Notice() != "" || !strings.Contains(st.Notice(), tt.wantNotice) {
				t.Fatalf("notice = %q; want %q", st.Notice(), tt.wantNotice)
			}
			ctx := context.Background()
			if err := st.Set(ctx, "ca_x", "sekret-value"); err != nil {
				t.Fatal(err)
			}
			if v, err := st.Get(ctx, "ca_x"); err != nil || v != "sekret-value" {
				t.Fatalf("Get = %q, %v", v, err)
			}
			fi, err := os.Stat(filepath.Join(dir, "secrets.json"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("secret file mode %v; want 0600", fi.Mode().Perm())
			}
			if err := st.Delete(ctx, "ca_x"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Get(ctx, "ca_x"); !errors.Is(err, ErrSecretNotFound) {
				t.Fatalf("Get after Delete: %v", err)
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
