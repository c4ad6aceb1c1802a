package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/toolkits"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/graphql"
	"github.com/toolmux/toolmux/tools/mcpproxy"
	"github.com/toolmux/toolmux/tools/openapi"
)

// catalogFormat is bumped when the cached toolkit JSON changes shape; the executable's size and modification time
// are mixed into every cache key too, so a rebuilt binary never reads a catalog compiled by another importer.
const catalogFormat = "toolmux-catalog-2"

// Catalog is the compiled set of toolkits a process serves, with an executor per toolkit and a search index.
type Catalog struct {
	// Problems lists toolkits that could not be loaded; the others still work.
	Problems []string

	executors map[string]tools.Executor
	// metaPrefix is the configured meta tool prefix (meta_tool_prefix), for hints.
	metaPrefix string
	// upstreams are the MCP servers the catalog started; Close stops them.
	upstreams []*mcpproxy.Client
	validator tools.Validator
	log       *slog.Logger

	// live is the current tool set with its search index. An upstream MCP server whose tool list changes
	// (tools/list_changed, a new version) replaces its toolkit in a new generation; readers keep the one they
	// loaded, so a search or call in flight sees one consistent set.
	live atomic.Pointer[generation]
	// mu serializes generation changes and guards listeners.
	mu        sync.Mutex
	listeners map[int]func()
	nextID    int
}

// sameToolkit reports whether a and b list the same tools with the same schemas and descriptions.
func sameToolkit(a, b *tools.Toolkit) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// generation is one immutable tool set and its search index, built on first use.
type generation struct {
	*tools.Catalog
	indexOnce sync.Once
	index     *tools.Index
}

// Toolkits returns the toolkits sorted by slug.
func (c *Catalog) Toolkits() []*tools.Toolkit { return c.live.Load().Toolkits() }

// Toolkit returns the toolkit with slug, or nil.
func (c *Catalog) Toolkit(slug string) *tools.Toolkit { return c.live.Load().Toolkit(slug) }

// Tools returns every tool, grouped by toolkit in slug order.
func (c *Catalog) Tools() []*tools.Tool { return c.live.Load().Tools() }

// Tool returns the tool with slug (case-insensitive), or nil.
func (c *Catalog) Tool(slug string) *tools.Tool { return c.live.Load().Tool(slug) }

// Len is the number of tools.
func (c *Catalog) Len() int { return c.live.Load().Len() }

// Suggest returns up to n slugs close to slug among the tools allow accepts.
func (c *Catalog) Suggest(slug string, allow func(*tools.Tool) bool, n int) []string {
	return c.live.Load().Suggest(slug, allow, n)
}

// OnChange calls f (in its own goroutine) after each change of the tool set; cancel stops it.
func (c *Catalog) OnChange(f func()) (cancel func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listeners == nil {
		c.listeners = map[int]func(){}
	}
	id := c.nextID
	c.nextID++
	c.listeners[id] = f
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.listeners, id)
	}
}

// replaceToolkit publishes a generation in which toolkit tk.Slug has tk's tools. It does nothing before the
// catalog is published (the first load is the catalog itself) or for a toolkit the catalog does not hold; a list
// that would collide with another toolkit's slugs is refused and logged, and the current tools stay.
func (c *Catalog) replaceToolkit(tk *tools.Toolkit) {
	c.mu.Lock()
	cur := c.live.Load()
	if cur == nil || cur.Toolkit(tk.Slug) == nil || sameToolkit(cur.Toolkit(tk.Slug), tk) {
		c.mu.Unlock()
		return
	}
	kits := slices.Clone(cur.Toolkits())
	for i, k := range kits {
		if k.Slug == tk.Slug {
			kits[i] = tk
		}
	}
	next, err := tools.NewCatalog(kits)
	if err != nil {
		c.mu.Unlock()
		c.log.Warn("changed upstream tool list not used", "toolkit", tk.Slug, "err", err)
		return
	}
	c.live.Store(&generation{Catalog: next})
	listeners := slices.Collect(maps.Values(c.listeners))
	c.mu.Unlock()
	c.log.Info("upstream tool list changed; search and calls use the new list", "toolkit", tk.Slug, "tools", len(tk.Tools))
	for _, f := range listeners {
		go f()
	}
}

// Close stops the upstream MCP servers the catalog started, with their process groups. A nil catalog is fine.
func (c *Catalog) Close() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, u := range c.upstreams {
		errs = append(errs, u.Close())
	}
	return errors.Join(errs...)
}

// metaTool names a meta tool with the configured prefix, for hints in error messages.
func (c *Catalog) metaTool(name string) string {
	prefix := c.metaPrefix
	if prefix == "" {
		prefix = "COMPOSIO"
	}
	return prefix + "_" + name
}

// Executor returns the executor of toolkit slug.
func (c *Catalog) Executor(slug string) tools.Executor { return c.executors[slug] }

// Index returns the search index of the current tool set, built on first use.
func (c *Catalog) Index() *tools.Index {
	g := c.live.Load()
	g.indexOnce.Do(func() { g.index = tools.NewIndex(g.Tools()) })
	return g.index
}

// Validate checks arguments against a tool's input schema.
func (c *Catalog) Validate(t *tools.Tool, args map[string]any) error {
	return c.validator.Validate(t, args)
}

// Authorizer adds credentials to toolkit requests; the auth package implements it.
type Authorizer = openapi.Authorizer

// CatalogOptions says where toolkits come from and how they execute.
type CatalogOptions struct {
	Config *config.Config
	// DB holds the catalog cache and the imported toolkits; nil disables both.
	DB *store.DB
	// StateDir is where imported specs are kept.
	StateDir string
	Auth     Authorizer
	// Secrets resolves keyring:NAME references in upstream MCP servers' headers and environment; nil leaves only
	// env:NAME references resolvable.
	Secrets auth.SecretStore
	Client  *http.Client
	Logger  *slog.Logger
}

// source is one toolkit to load.
type source struct {
	slug    string
	origin  string // "built-in", "config", "imported"
	key     string // cache key
	load    func(ctx context.Context) (*tools.Toolkit, error)
	baseURL string
	// mcp is the upstream of an mcp toolkit; it is also the toolkit's executor.
	mcp *mcpproxy.Client
}

// LoadCatalog compiles every toolkit the config and the state name: built-in ones unless disabled, the config's
// [[toolkits]], and the ones `toolmux toolkits import` registered. Compiled toolkits are cached in the store keyed by
// their content, so a large spec is parsed once. A toolkit that fails to load is reported in Problems and skipped.
func LoadCatalog(ctx context.Context, opts CatalogOptions) (*Catalog, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{executors: map[string]tools.Executor{}, metaPrefix: opts.Config.MetaToolPrefix, log: log}
	sources, err := collectSources(ctx, opts, c)
	if err != nil {
		return nil, err
	}
	kits := make([]*tools.Toolkit, len(sources))
	problems := make([]string, len(sources))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, src := range sources {
		g.Go(func() error {
			tk, err := loadCached(gctx, opts.DB, src, log)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				problems[i] = fmt.Sprintf("toolkit %q (%s): %v", src.slug, src.origin, err)
				log.Warn("toolkit skipped", "toolkit", src.slug, "err", err)
				return nil
			}
			kits[i] = tk
			return nil
		})
	}
	waitErr := g.Wait()
	for i, src := range sources {
		if src.mcp != nil && kits[i] != nil && waitErr == nil {
			c.upstreams = append(c.upstreams, src.mcp)
		} else if src.mcp != nil {
			_ = src.mcp.Close() // a failed upstream leaves no process behind
		}
	}
	if waitErr != nil {
		return nil, waitErr
	}
	var loaded []*tools.Toolkit
	for i, tk := range kits {
		if tk == nil {
			c.Problems = append(c.Problems, problems[i])
			continue
		}
		loaded = append(loaded, tk)
		src := sources[i]
		if src.mcp != nil {
			c.executors[tk.Slug] = src.mcp
			continue
		}
		base := tk.BaseURL
		if src.baseURL != "" {
			base = src.baseURL
		}
		if tk.Source == tools.SourceGraphQL {
			c.executors[tk.Slug] = &graphql.Executor{
				Endpoint: base, Toolkit: tk.Slug, Name: tk.Name, Client: opts.Client, Auth: opts.Auth,
				MaxResponseBytes: opts.Config.Execution.MaxResponseBytes, UserAgent: "toolmux/" + Version,
				DefaultHeaders: tk.DefaultHeaders,
			}
			continue
		}
		c.executors[tk.Slug] = &openapi.HTTPExecutor{
			BaseURL:          base,
			Toolkit:          tk.Slug,
			Client:           opts.Client,
			Auth:             opts.Auth,
			MaxResponseBytes: opts.Config.Execution.MaxResponseBytes,
			UserAgent:        "toolmux/" + Version,
			DefaultHeaders:   tk.DefaultHeaders,
		}
	}
	cat, err := tools.NewCatalog(loaded)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	// Credentials that depend on a toolkit's declared schemes (an API key's header name) are completed before the
	// catalog is published, so no call races with it.
	if a, ok := opts.Auth.(interface{ ForToolkits([]*tools.Toolkit) }); ok {
		a.ForToolkits(cat.Toolkits())
	}
	c.live.Store(&generation{Catalog: cat})
	return c, nil
}

// collectSources lists the toolkits to load; cat receives the changed tool lists of upstream MCP servers.
func collectSources(ctx context.Context, opts CatalogOptions, cat *Catalog) ([]source, error) {
	cfg := opts.Config
	salt := executableSalt()
	defs, err := toolkits.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in toolkits: %w", err)
	}
	bySlug := map[string]int{}
	var sources []source
	disabled := map[string]bool{}
	for _, s := range cfg.Builtin.Disable {
		disabled[s] = true
	}
	for _, d := range defs {
		if disabled[d.Slug] {
			continue
		}
		bySlug[d.Slug] = len(sources)
		sources = append(sources, source{
			slug: d.Slug, origin: "built-in", baseURL: cfg.Builtin.BaseURL[d.Slug],
			key:  cacheKey(salt, "builtin", d.Slug, "", []byte(d.Hash), nil),
			load: d.Load,
		})
	}
	claim := func(slug, origin string, replace bool) error {
		if i, ok := bySlug[slug]; ok {
			prev := sources[i]
			if prev.origin == "built-in" && replace {
				sources[i].slug = "" // dropped below
			} else if prev.origin == "built-in" {
				return fmt.Errorf("toolkit %q (%s) has the slug of a built-in toolkit; choose another slug, or set replace = true (--replace on import) to use it instead of the built-in one", slug, origin)
			} else {
				return fmt.Errorf("toolkit %q is declared twice (%s and %s); remove one", slug, prev.origin, origin)
			}
		}
		return nil
	}
	add := func(slug, origin, specPath, baseURL string, replace bool) error {
		if err := claim(slug, origin, replace); err != nil {
			return err
		}
		data, err := os.ReadFile(specPath)
		if err != nil {
			// Keep the toolkit as a problem: the rest of the catalog still loads.
			bySlug[slug] = len(sources)
			sources = append(sources, source{slug: slug, origin: origin, load: func(context.Context) (*tools.Toolkit, error) {
				return nil, fmt.Errorf("read spec: %w", err)
			}})
			return nil
		}
		bySlug[slug] = len(sources)
		sources = append(sources, source{
			slug: slug, origin: origin, baseURL: baseURL,
			key: cacheKey(salt, "openapi", slug, baseURL, data, nil),
			load: func(ctx context.Context) (*tools.Toolkit, error) {
				tk, _, err := openapi.Import(ctx, filepath.Base(specPath), data, openapi.Options{Slug: slug, BaseURL: baseURL})
				return tk, err
			},
		})
		return nil
	}
	for _, t := range cfg.Toolkits {
		if t.Type == "mcp" {
			if err := claim(t.Slug, "config", t.Replace); err != nil {
				return nil, err
			}
			// With a cached tool list the upstream starts at its first call; without one it starts here to list.
			client := newUpstream(ctx, opts, t, cat)
			bySlug[t.Slug] = len(sources)
			sources = append(sources, source{slug: t.Slug, origin: "config", mcp: client, load: client.List})
			continue
		}
		if err := add(t.Slug, "config", cfg.SpecPath(t), t.BaseURL, t.Replace); err != nil {
			return nil, err
		}
	}
	if opts.DB != nil {
		imported, err := opts.DB.ImportedToolkits(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range imported {
			if err := add(t.Slug, "imported", ImportedSpecPath(opts.StateDir, t.SpecFile), t.BaseURL, t.ReplaceBuiltin); err != nil {
				return nil, err
			}
		}
	}
	out := sources[:0]
	for _, s := range sources {
		if s.slug != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// upstreamEnv is an upstream MCP server's whole environment: a few variables from toolmux's own (so the command
// and its interpreter are found) plus the configured ones, which win.
func upstreamEnv(extra map[string]string) []string {
	env := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "USER", "LANG", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	maps.Copy(env, extra)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// CacheCompiled stores a toolkit compiled from spec under the key LoadCatalog computes for an imported or
// config-declared toolkit, so the next load reads it instead of parsing the document again.
func CacheCompiled(ctx context.Context, db *store.DB, slug, baseURL string, spec []byte, tk *tools.Toolkit) error {
	data, err := json.Marshal(tk)
	if err != nil {
		return fmt.Errorf("cache compiled toolkit %s: %w", slug, err)
	}
	return db.PutCachedCatalog(ctx, cacheKey(executableSalt(), "openapi", slug, baseURL, spec, nil), data)
}

// ImportedSpecPath is where an imported spec file is kept in the state dir.
func ImportedSpecPath(stateDir, file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(stateDir, "specs", file)
}

func loadCached(ctx context.Context, db *store.DB, src source, log *slog.Logger) (*tools.Toolkit, error) {
	if db != nil && src.key != "" {
		data, err := db.CachedCatalog(ctx, src.key)
		if err == nil {
			var tk tools.Toolkit
			if err := json.Unmarshal(data, &tk); err == nil {
				return &tk, nil
			}
			log.Warn("cached catalog unreadable; compiling again", "toolkit", src.slug)
		} else if !errors.Is(err, store.ErrNotFound) {
			log.Warn("catalog cache", "toolkit", src.slug, "err", err)
		}
	}
	start := time.Now()
	compilations.Add(1)
	tk, err := src.load(ctx)
	if err != nil {
		return nil, err
	}
	log.Debug("toolkit compiled", "toolkit", src.slug, "tools", len(tk.Tools), "duration", time.Since(start))
	if db != nil && src.key != "" {
		data, err := json.Marshal(tk)
		if err == nil {
			err = db.PutCachedCatalog(ctx, src.key, data)
		}
		if err != nil {
			log.Warn("catalog cache not written", "toolkit", src.slug, "err", err)
		}
	}
	return tk, nil
}

func cacheKey(salt, kind, slug, baseURL string, spec, manifest []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(catalogFormat), []byte(salt), []byte(kind), []byte(slug), []byte(baseURL), spec, manifest} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{0})
		h.Write(part)
	}
	return kind + ":" + slug + ":" + hex.EncodeToString(h.Sum(nil))
}

// compilations counts toolkits compiled from their documents rather than read from the cache.
var compilations atomic.Int64

var (
	saltOnce sync.Once
	saltVal  string
)

// executableSalt identifies this build of the importer cheaply: the executable's size and modification time.
func executableSalt() string {
	saltOnce.Do(func() {
		exe, err := os.Executable()
		if err == nil {
			if fi, err := os.Stat(exe); err == nil {
				saltVal = fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
				return
			}
		}
		saltVal = "unknown-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	})
	return saltVal
}
