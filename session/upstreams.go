package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/mcpproxy"
)

// upstreamFormat is bumped when the cached upstream tool list changes shape.
const upstreamFormat = "toolmux-upstream-1"

// newUpstream returns the client of the type "mcp" toolkit t. Its tool list comes from the store when one was
// cached under the same declaration, so the catalog loads without starting the server; every list read from the
// server (the first load, a changed version, tools/list_changed) is written back and replaces the toolkit in cat,
// and state changes are recorded for `toolmux doctor`.
func newUpstream(ctx context.Context, opts CatalogOptions, t config.Toolkit, cat *Catalog) *mcpproxy.Client {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("toolkit", t.Slug)
	hash := UpstreamHash(t)
	var cached *tools.Toolkit
	if opts.DB != nil {
		u, err := opts.DB.UpstreamTools(ctx, t.Slug, hash)
		switch {
		case err == nil:
			var tk tools.Toolkit
			if err := json.Unmarshal(u.Tools, &tk); err == nil && tk.Slug == t.Slug {
				cached = &tk
			} else {
				log.Warn("cached upstream tool list unreadable; listing again")
			}
		case !errors.Is(err, store.ErrNotFound):
			log.Warn("upstream tool cache", "err", err)
		}
	}
	cfg := mcpproxy.Config{
		Toolkit: t.Slug, Command: t.Command, Args: t.Args, Dir: opts.Config.CwdPath(t),
		URL: t.URL, Headers: t.Headers,
		Resolve: func(ctx context.Context, ref string) (string, error) { return auth.ResolveRef(ctx, opts.Secrets, ref) },
		Cached:  cached, Logger: opts.Logger,
	}
	if t.URL == "" {
		cfg.Env = upstreamEnv(t.Env)
	}
	cfg.OnTools = func(tk *tools.Toolkit) {
		if db := opts.DB; db != nil {
			data, err := json.Marshal(tk)
			if err != nil {
				log.Warn("upstream tool list not cached", "err", err)
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := db.PutUpstreamTools(ctx, store.UpstreamTools{Toolkit: t.Slug, ConfigHash: hash, ServerVersion: tk.Version, Tools: data}); err != nil {
					log.Warn("upstream tool list not cached", "err", err)
				}
			}
		}
		cat.replaceToolkit(tk)
	}
	if db := opts.DB; db != nil {
		cfg.OnState = func(state string, err error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if perr := db.PutUpstreamStatus(ctx, t.Slug, state, msg); perr != nil {
				log.Debug("upstream state not recorded", "err", perr)
			}
		}
	}
	return mcpproxy.New(cfg)
}

// Upstream returns the client of the mcp toolkit slug, nil when the catalog has none (not an mcp toolkit, or it
// failed to load).
func (c *Catalog) Upstream(slug string) *mcpproxy.Client {
	for _, u := range c.upstreams {
		if u.Toolkit() == slug {
			return u
		}
	}
	return nil
}

// UpstreamHash identifies the declaration of an mcp toolkit: its command, arguments, environment, working directory,
// URL and headers, with references unresolved (a rotated secret does not invalidate the cached tool list).
func UpstreamHash(t config.Toolkit) string {
	h := sha256.New()
	part := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	part(upstreamFormat)
	part(t.Command)
	part(strconv.Itoa(len(t.Args)))
	for _, a := range t.Args {
		part(a)
	}
	for _, m := range []map[string]string{t.Env, t.Headers} {
		part(strconv.Itoa(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			part(k)
			part(m[k])
		}
	}
	part(t.Cwd)
	part(t.URL)
	return hex.EncodeToString(h.Sum(nil))
}

// UpstreamStatus is what `toolmux doctor` shows of one upstream MCP server.
type UpstreamStatus struct {
	Toolkit string
	// Target is the command or URL.
	Target string
	// Cached is the number of tools in the cached list, -1 when none is cached for the current declaration.
	Cached int
	// Recorded is the last state a toolmux process recorded; State is empty when none was.
	Recorded store.UpstreamStatus
}

// UpstreamStatuses lists the config's mcp toolkits with their cached tool lists and recorded states.
func UpstreamStatuses(ctx context.Context, cfg *config.Config, db *store.DB) ([]UpstreamStatus, error) {
	recorded := map[string]store.UpstreamStatus{}
	if db != nil {
		var err error
		if recorded, err = db.UpstreamStatuses(ctx); err != nil {
			return nil, err
		}
	}
	var out []UpstreamStatus
	for _, t := range cfg.Toolkits {
		if t.Type != "mcp" {
			continue
		}
		s := UpstreamStatus{Toolkit: t.Slug, Target: t.Command, Cached: -1, Recorded: recorded[t.Slug]}
		if t.URL != "" {
			s.Target = t.URL
		}
		if db != nil {
			if u, err := db.UpstreamTools(ctx, t.Slug, UpstreamHash(t)); err == nil {
				var tk tools.Toolkit
				if json.Unmarshal(u.Tools, &tk) == nil {
					s.Cached = len(tk.Tools)
				}
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("upstream %s: %w", t.Slug, err)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Close stops the upstream MCP servers of the catalog once it has loaded; a catalog whose load never started has
// none. It waits up to 30 seconds (or ctx) for a load in progress, so an upstream started meanwhile is not orphaned.
func (f *CatalogFuture) Close(ctx context.Context) error {
	if f.start != nil && !f.started.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case <-f.done:
		return f.cat.Close()
	case <-ctx.Done():
		return fmt.Errorf("close catalog: still loading: %w", ctx.Err())
	}
}
