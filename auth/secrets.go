package auth

// This file is the secret store: where connected accounts' secrets (token JSON, API keys) live. Decisions:
//   - The OS keychain (go-keyring: macOS Keychain, Windows Credential Manager, Secret Service on Linux) is the
//     store; service "toolmux", item = the connected account id.
//   - Every keychain call runs in a goroutine under KeychainTimeout: a locked desktop keyring can block forever
//     waiting for a prompt. A call that times out is abandoned (its goroutine may linger) and reported.
//   - On Linux an empty DBUS_SESSION_BUS_ADDRESS means "no keychain": the D-Bus library would otherwise try to
//     autolaunch a bus (dbus-launch), which leaks daemons and can hang.
//   - The 0600 file fallback (STATE/secrets.json) is used only in mode "auto" when the keychain is unreachable, and
//     the store says so (SecretStore.Notice), so that serve, doctor and MANAGE_CONNECTIONS can announce it. Mode
//     "keyring" refuses to fall back; mode "file" uses the file on purpose.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Secret store modes (config secrets.store).
const (
	StoreAuto    = "auto"
	StoreKeyring = "keyring"
	StoreFile    = "file"
)

// KeychainService is the service name of toolmux's keychain items.
const KeychainService = "toolmux"

// KeychainTimeout bounds every keychain call.
const KeychainTimeout = 3 * time.Second

// ErrSecretNotFound is returned (wrapped) when a store has no secret under a key.
var ErrSecretNotFound = errors.New("secret not found")

// SecretStore keeps secrets by key (a connected account id). Implementations never log or echo values.
type SecretStore interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
	// Kind is "keyring" or "file".
	Kind() string
	// Notice explains a fallback to the file store ("" when nothing needs announcing).
	Notice() string
}

// OpenSecrets opens the secret store mode selects ("" is auto). stateDir holds the fallback file. In auto mode an
// unreachable keychain falls back to the file and the returned store's Notice says why.
func OpenSecrets(ctx context.Context, mode, stateDir string) (SecretStore, error) {
	file := &FileStore{Path: filepath.Join(stateDir, "secrets.json")}
	switch mode {
	case StoreFile:
		return file, nil
	case StoreKeyring, StoreAuto, "":
	default:
		return nil, fmt.Errorf("secrets.store = %q: use \"auto\", \"keyring\" or \"file\"", mode)
	}
	kr := &Keychain{Service: KeychainService}
	err := kr.Probe(ctx)
	if err == nil {
		return kr, nil
	}
	if mode == StoreKeyring {
		return nil, fmt.Errorf("secrets.store = \"keyring\" but the OS keychain is unreachable: %w; unlock or start it, or set secrets.store = \"auto\" to allow the 0600 file fallback", err)
	}
	file.notice = fmt.Sprintf("OS keychain unavailable (%v); secrets are kept in the 0600 file %s instead. Set secrets.store = \"keyring\" to refuse this fallback, or \"file\" to silence this notice", err, file.Path)
	return file, nil
}

// Keychain is the OS keychain through go-keyring, every call bounded by KeychainTimeout.
type Keychain struct {
	Service string
}

// errNoBus is why Linux without a session bus has no keychain.
var errNoBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is empty), so no Secret Service")

func (k *Keychain) available() error {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errNoBus
	}
	return nil
}

// call runs f in a goroutine and gives up after KeychainTimeout or when ctx ends.
func (k *Keychain) call(ctx context.Context, what string, f func() (string, error)) (string, error) {
	if err := k.available(); err != nil {
		return "", err
	}
	type answer struct {
		v   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := f()
		ch <- answer{v, err}
	}()
	t := time.NewTimer(KeychainTimeout)
	defer t.Stop()
	select {
	case a := <-ch:
		if errors.Is(a.err, keyring.ErrNotFound) {
			return "", fmt.Errorf("keychain %s: %w", what, ErrSecretNotFound)
		}
		if a.err != nil {
			return "", fmt.Errorf("keychain %s: %w", what, a.err)
		}
		return a.v, nil
	case <-t.C:
		return "", fmt.Errorf("keychain %s: no answer within %s (is the keyring locked?)", what, KeychainTimeout)
	case <-ctx.Done():
		return "", fmt.Errorf("keychain %s: %w", what, ctx.Err())
	}
}

// Probe checks that the keychain answers: a lookup of an item that does not exist must say "not found".
func (k *Keychain) Probe(ctx context.Context) error {
	_, err := k.call(ctx, "probe", func() (string, error) { return keyring.Get(k.Service, "toolmux-probe") })
	if err == nil || errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	return err
}

// Get implements SecretStore.
func (k *Keychain) Get(ctx context.Context, key string) (string, error) {
	return k.call(ctx, "read "+key, func() (string, error) { return keyring.Get(k.Service, key) })
}

// Set implements SecretStore.
func (k *Keychain) Set(ctx context.Context, key, value string) error {
	_, err := k.call(ctx, "write "+key, func() (string, error) { return "", keyring.Set(k.Service, key, value) })
	return err
}

// Delete implements SecretStore; deleting a missing item is not an error.
func (k *Keychain) Delete(ctx context.Context, key string) error {
	_, err := k.call(ctx, "delete "+key, func() (string, error) { return "", keyring.Delete(k.Service, key) })
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	return err
}

// Kind implements SecretStore.
func (k *Keychain) Kind() string { return StoreKeyring }

// Notice implements SecretStore.
func (k *Keychain) Notice() string { return "" }

// FileStore keeps secrets in one JSON file, mode 0600, in a 0700 directory. Writes replace the file atomically
// (write to a temporary file, then rename); concurrent writers in several processes may lose an update to each
// other, which the keychain does not.
type FileStore struct {
	Path   string
	notice string
	mu     sync.Mutex
}

func (f *FileStore) load() (map[string]string, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("secret file %s is corrupt (%v); move it away and connect the accounts again", f.Path, err)
	}
	return m, nil
}

func (f *FileStore) save(m map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".secrets-*.json")
	if err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	return nil
}

// Get implements SecretStore.
func (f *FileStore) Get(ctx context.Context, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("secret file: %s: %w", key, ErrSecretNotFound)
	}
	return v, nil
}

// Set implements SecretStore.
func (f *FileStore) Set(ctx context.Context, key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	m[key] = value
	return f.save(m)
}

// Delete implements SecretStore.
func (f *FileStore) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return f.save(m)
}

// Kind implements SecretStore.
func (f *FileStore) Kind() string { return StoreFile }

// Notice implements SecretStore.
func (f *FileStore) Notice() string { return f.notice }

// LazySecrets opens the secret store on first use, so that commands which never touch a secret never probe the
// keychain. Open opens it now (serve and doctor do, to announce a fallback at start).
type LazySecrets struct {
	mode, stateDir string
	once           sync.Once
	store          SecretStore
	err            error
}

// NewLazySecrets returns a store that calls OpenSecrets(mode, stateDir) on first use.
func NewLazySecrets(mode, stateDir string) *LazySecrets {
	return &LazySecrets{mode: mode, stateDir: stateDir}
}

// Open opens the underlying store (once) and returns it.
func (l *LazySecrets) Open(ctx context.Context) (SecretStore, error) {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*KeychainTimeout)
		defer cancel()
		l.store, l.err = OpenSecrets(ctx, l.mode, l.stateDir)
	})
	return l.store, l.err
}

// Get implements SecretStore.
func (l *LazySecrets) Get(ctx context.Context, key string) (string, error) {
	s, err := l.Open(ctx)
	if err != nil {
		return "", err
	}
	return s.Get(ctx, key)
}

// Set implements SecretStore.
func (l *LazySecrets) Set(ctx context.Context, key, value string) error {
	s, err := l.Open(ctx)
	if err != nil {
		return err
	}
	return s.Set(ctx, key, value)
}

// Delete implements SecretStore.
func (l *LazySecrets) Delete(ctx context.Context, key string) error {
	s, err := l.Open(ctx)
	if err != nil {
		return err
	}
	return s.Delete(ctx, key)
}

// Kind implements SecretStore; "unavailable" when the store could not be opened.
func (l *LazySecrets) Kind() string {
	s, err := l.Open(context.Background())
	if err != nil {
		return "unavailable"
	}
	return s.Kind()
}

// Notice implements SecretStore; it carries the open error when the store could not be opened.
func (l *LazySecrets) Notice() string {
	s, err := l.Open(context.Background())
	if err != nil {
		return err.Error()
	}
	return s.Notice()
}
