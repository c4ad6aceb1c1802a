// Package session is toolmux's runtime context: one user's view of the catalog through a filter, the execution log,
// memory and the workbench files directory, persisted in the store so a session can be resumed by name.
//
// It sits below server and above tools, toolkits, auth and store: the server turns MCP requests into calls on a
// Session, and the CLI uses the same catalog without a session (direct access).
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// Version is toolmux's version: the one set at build time with
// -ldflags "-X github.com/toolmux/toolmux/session.releaseVersion=1.2.3", else the module's, else a development one.
var Version = buildVersion()

// releaseVersion is set by the linker (-X only sets string variables without an initializer function).
var releaseVersion string

func buildVersion() string {
	if releaseVersion != "" {
		return strings.TrimPrefix(releaseVersion, "v")
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.1.0-dev"
}

// Options configures a session.
type Options struct {
	// Name is the session's name; Ephemeral sessions get a random one and are deleted on Close.
	Name      string
	Ephemeral bool
	UserID    string
	Filter    tools.Filter
	// Expose lists toolkit tool slugs the server lists directly.
	Expose    []string
	StateDir  string
	Execution config.Execution
	// Workbench configures the sandbox of the workbench tools (see workbench.go).
	Workbench config.Workbench
	// Connections reports toolkits' connection status in search results.
	Connections Connections
	Logger      *slog.Logger

	// HideUnconnected leaves out of ExposedTools the tools of toolkits whose calls would carry no credentials
	// (config serve.hide_unconnected).
	HideUnconnected bool
}

// Session is one user's working context. Its methods are safe for concurrent use.
type Session struct {
	id, user    string
	ephemeral   bool
	filter      tools.Filter
	expose      []string
	hideUnconn  bool
	exec        config.Execution
	wb          workbench
	db          *store.DB
	catalog     *CatalogFuture
	filesDir    string
	log         *slog.Logger
	connections Connections
	outputSeq   atomic.Int64
	persisted   chan struct{} // closed once the session row is written
	persistErr  error
	closeOnce   sync.Once
}

// CatalogFuture is a catalog loaded in the background: the MCP handshake does not wait for it.
type CatalogFuture struct {
	done    chan struct{}
	start   func()
	started atomic.Bool
	cat     *Catalog
	err     error
}

// LoadCatalogAsync starts LoadCatalog in a goroutine.
func LoadCatalogAsync(ctx context.Context, opts CatalogOptions) *CatalogFuture {
	f := LazyCatalog(ctx, opts)
	f.Start()
	return f
}

// LazyCatalog returns a future that loads the catalog when Start or Get is first called, so a server can answer
// the handshake before spending CPU on the catalog.
func LazyCatalog(ctx context.Context, opts CatalogOptions) *CatalogFuture {
	f := &CatalogFuture{done: make(chan struct{})}
	var once sync.Once
	f.start = func() {
		once.Do(func() {
			f.started.Store(true)
			go func() {
				defer close(f.done)
				f.cat, f.err = LoadCatalog(ctx, opts)
			}()
		})
	}
	return f
}

// Start begins loading, once; later calls do nothing.
func (f *CatalogFuture) Start() {
	if f.start != nil {
		f.start()
	}
}

// ReadyCatalog wraps an already loaded catalog.
func ReadyCatalog(c *Catalog) *CatalogFuture {
	f := &CatalogFuture{done: make(chan struct{}), cat: c}
	close(f.done)
	return f
}

// Done is closed when the catalog has loaded (or failed); it does not start the load.
func (f *CatalogFuture) Done() <-chan struct{} { return f.done }

// Get starts loading if nothing did yet, and waits for the catalog.
func (f *CatalogFuture) Get(ctx context.Context) (*Catalog, error) {
	f.Start()
	select {
	case <-f.done:
		return f.cat, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the tool catalog: %w", ctx.Err())
	}
}

// Open creates the session named in opts, or resumes it with its memory and files.
func Open(ctx context.Context, db *store.DB, catalog *CatalogFuture, opts Options) (*Session, error) {
	if opts.Name == "" {
		opts.Name = "default"
	}
	if opts.Ephemeral {
		opts.Name = "ephemeral-" + randomHex(6)
	}
	if !config.ValidSessionName(opts.Name) {
		return nil, fmt.Errorf("session name %q: use letters, digits, '.', '_' or '-' (at most 128)", opts.Name)
	}
	if !config.ValidSessionName(opts.UserID) {
		return nil, fmt.Errorf("user id %q: use letters, digits, '.', '_' or '-' (at most 128); pass --user NAME", opts.UserID)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{
		id: opts.Name, user: opts.UserID, ephemeral: opts.Ephemeral, filter: opts.Filter, expose: opts.Expose, hideUnconn: opts.HideUnconnected,
		exec: opts.Execution, db: db, catalog: catalog, log: log.With("session_id", opts.Name), connections: opts.Connections,
		filesDir: FilesDir(opts.StateDir, opts.UserID, opts.Name),
	}
	s.wb.cfg = opts.Workbench
	s.wireLabeler(opts.Connections)
	saved, err := json.Marshal(struct {
		Filter tools.Filter `json:"filter"`
		Expose []string     `json:"expose,omitempty"`
	}{opts.Filter, opts.Expose})
	if err != nil {
		return nil, err
	}
	// The session row is written in the background: the MCP handshake does not wait for a database write. Every
	// method that reads or writes session state waits for it (ready).
	s.persisted = make(chan struct{})
	go func() {
		defer close(s.persisted)
		_, created, err := db.EnsureSession(context.WithoutCancel(ctx), s.user, s.id, saved)
		switch {
		case err != nil:
			s.persistErr = fmt.Errorf("open session %q: %w", s.id, err)
			s.log.Error("session not saved", "err", err)
		case created:
			s.log.Info("session created", "user", s.user)
		default:
			s.log.Info("session resumed", "user", s.user)
		}
	}()
	if err := os.MkdirAll(filepath.Join(s.filesDir, "outputs"), 0o700); err != nil {
		return nil, fmt.Errorf("create session files dir: %w", err)
	}
	if n, err := countOutputs(s.filesDir); err == nil {
		s.outputSeq.Store(int64(n))
	}
	return s, nil
}

// FilesDir is a session's workbench files directory: STATE/sessions/USER/NAME/files.
func FilesDir(stateDir, user, name string) string {
	return filepath.Join(stateDir, "sessions", user, name, "files")
}

// ID is the session's name.
func (s *Session) ID() string { return s.id }

// UserID is whose accounts the session uses.
func (s *Session) UserID() string { return s.user }

// FilesDir is the session's workbench files directory on the host.
func (s *Session) FilesDir() string { return s.filesDir }

// Filter is the session's tool filter.
func (s *Session) Filter() tools.Filter { return s.filter }

// Catalog waits for the catalog.
func (s *Session) Catalog(ctx context.Context) (*Catalog, error) { return s.catalog.Get(ctx) }

// Info is the session block every meta tool result carries.
type Info struct {
	ID           string `json:"id"`
	Instructions string `json:"instructions"`
}

// Info returns the session block.
func (s *Session) Info() Info {
	return Info{ID: s.id, Instructions: "Every tool call in this process uses this session; pass session_id only to confirm it."}
}

// OnCatalogChange calls f after each change of the catalog's tools (an upstream MCP server's new tool list), once
// the catalog has loaded (it does not start the load); cancel stops it. A catalog that fails to load never calls f.
func (s *Session) OnCatalogChange(f func()) (cancel func()) {
	select {
	case <-s.catalog.Done():
		if cat, err := s.catalog.Get(context.Background()); err == nil {
			return cat.OnChange(f)
		}
		return func() {}
	default:
	}
	var mu sync.Mutex
	var stop func()
	cancelled := make(chan struct{})
	go func() {
		select {
		case <-s.catalog.Done(): // waits for a load something else started; starts none
		case <-cancelled:
			return
		}
		cat, err := s.catalog.Get(context.Background())
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-cancelled:
		default:
			stop = cat.OnChange(f)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			close(cancelled)
			if stop != nil {
				stop()
			}
		})
	}
}

// ExposedTools returns the tools to list directly: the Expose slugs that exist and pass the filter (unknown or
// filtered ones are logged), or, when all is true, every tool that passes the filter (direct access).
func (s *Session) ExposedTools(ctx context.Context, all bool) ([]*tools.Tool, error) {
	if !all && len(s.expose) == 0 {
		return nil, nil // nothing to wait for: tools/list must not wait for the catalog
	}
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	var out []*tools.Tool
	if all {
		for _, t := range cat.Tools() {
			if s.filter.Allows(t) {
				out = append(out, t)
			}
		}
		return s.connectedOnly(ctx, out), nil
	}
	for _, slug := range s.expose {
		t := cat.Tool(slug)
		switch {
		case t == nil:
			s.log.Warn("exposed tool does not exist", "tool", slug, "suggestions", cat.Suggest(slug, s.filter.Allows, 3))
		case !s.filter.Allows(t):
			s.log.Warn("exposed tool is outside the session filter", "tool", slug, "reason", s.filter.Reason(t))
		default:
			out = append(out, t)
		}
	}
	return s.connectedOnly(ctx, out), nil
}

// ready waits until the session row is in the store.
func (s *Session) ready(ctx context.Context) error {
	select {
	case <-s.persisted:
		return s.persistErr
	case <-ctx.Done():
		return fmt.Errorf("waiting for the session to be saved: %w", ctx.Err())
	}
}

// Memory returns the session's stored facts.
func (s *Session) Memory(ctx context.Context) (map[string][]string, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	return s.db.Memory(ctx, s.user, s.id)
}

// Remember stores facts under keys.
func (s *Session) Remember(ctx context.Context, facts map[string][]string) error {
	if len(facts) == 0 {
		return nil
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.db.AddMemory(ctx, s.user, s.id, facts)
}

// Close ends the session once its calls are written to the execution log; an ephemeral one is deleted with its
// files.
func (s *Session) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		s.closeWorkbench()
		<-s.persisted // never leave a half-written session behind
		// The session's calls are in the execution log once it is closed (and before an ephemeral one is deleted).
		flushErr := s.db.FlushExecutions(ctx)
		if !s.ephemeral {
			err = flushErr
			return
		}
		err = errors.Join(flushErr,
			ignoreNotFound(s.db.DeleteSession(ctx, s.user, s.id)),
			os.RemoveAll(filepath.Dir(s.filesDir)),
		)
	})
	return err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func countOutputs(dir string) (int, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "outputs"))
	return len(entries), err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
