package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/internal/stdiojson"
	"github.com/toolmux/toolmux/server"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

type serveOptions struct {
	session   string
	ephemeral bool
	toolkits  []string
	tools     []string
	tags      []string
	expose    []string
	noMeta    bool
	// HTTP mode (see users.go).
	http, tlsCert, tlsKey string
	allowRemote, noAuth   bool
}

func newServeCmd(g *globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve one session over MCP on stdio (what an MCP client launches)",
		Long: `Serve one session over MCP on stdin/stdout. stdout carries only JSON-RPC; logs go to stderr.

Lists take comma-separated values; a leading "-" disables instead of enables:
  --toolkits github,slack     only these toolkits      --toolkits -slack   every toolkit but slack
  --tags readOnlyHint         only read-only tools     --tags -destructiveHint
  --tools GITHUB_GET_REPO     only these tools
Flags replace the config's lists of the same kind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.session, "session", "", "session name to create or resume (default from config: \"default\")")
	f.BoolVar(&o.ephemeral, "ephemeral", false, "a throwaway session, deleted with its files on exit")
	f.StringSliceVar(&o.toolkits, "toolkits", nil, "toolkits to enable (or -slug to disable)")
	f.StringSliceVar(&o.tools, "tools", nil, "tool slugs to enable (or -SLUG to disable)")
	f.StringSliceVar(&o.tags, "tags", nil, "tags to enable (or -tag to disable)")
	f.StringSliceVar(&o.expose, "expose", nil, "toolkit tool slugs to list directly next to the meta tools")
	f.BoolVar(&o.noMeta, "no-meta", false, "direct access: serve only the filtered toolkit tools, no meta tools")
	cmd.MarkFlagsMutuallyExclusive("session", "ephemeral")
	addHTTPFlags(cmd, &o)
	return cmd
}

// splitList turns "a,-b" flags into enable and disable lists; mixing both is an error.
func splitList(flag string, values []string) (tools.List, error) {
	var l tools.List
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if name, ok := strings.CutPrefix(v, "-"); ok {
			l.Disable = append(l.Disable, name)
		} else {
			l.Enable = append(l.Enable, v)
		}
	}
	if flag != "--tags" && len(l.Enable) > 0 && len(l.Disable) > 0 {
		return l, usageError("%s: give names to enable or -names to disable, not both", flag)
	}
	return l, nil
}

// Filter converts the config's filter to the catalog model.
func Filter(c config.Filter) tools.Filter {
	f := tools.Filter{
		Toolkits: tools.List{Enable: c.Toolkits.Enable, Disable: c.Toolkits.Disable},
		Tags:     tools.List{Enable: c.Tags.Enable, Disable: c.Tags.Disable},
	}
	for slug, tf := range c.Toolkit {
		if f.Toolkit == nil {
			f.Toolkit = map[string]tools.ToolkitFilter{}
		}
		f.Toolkit[slug] = tools.ToolkitFilter{
			Tools: tools.List{Enable: tf.Tools.Enable, Disable: tf.Tools.Disable},
			Tags:  tools.List{Enable: tf.Tags.Enable, Disable: tf.Tags.Disable},
		}
	}
	return f
}

func runServe(ctx context.Context, g *globals, o serveOptions) error {
	if err := checkHTTPFlags(o); err != nil {
		return err
	}
	started, openStore := func() {}, store.Open
	if o.http == "" {
		started = pauseGC(startHeapLimit, startGCPause, 2) // the first tools/list answered, the catalog loaded
		openStore = store.OpenInBackground                 // the handshake does not wait for the disk
	}
	e, err := g.openWith(ctx, openStore)
	if err != nil {
		return err
	}
	go func() {
		if err := e.db.Ready(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("the state database cannot be used; every call that needs it fails until this is fixed", "err", err)
		}
	}()
	defer e.close()
	filter := Filter(e.cfg.Filter)
	for _, fl := range []struct {
		name   string
		values []string
		dst    *tools.List
	}{{"--toolkits", o.toolkits, &filter.Toolkits}, {"--tools", o.tools, &filter.Tools}, {"--tags", o.tags, &filter.Tags}} {
		if len(fl.values) == 0 {
			continue
		}
		l, err := splitList(fl.name, fl.values)
		if err != nil {
			return err
		}
		*fl.dst = l
	}
	name := o.session
	if name == "" {
		name = e.cfg.Session
	}
	expose := e.cfg.Serve.Expose
	if len(o.expose) > 0 {
		expose = o.expose
	}
	noMeta := o.noMeta || e.cfg.Serve.NoMeta
	defer stopAuth(e)
	if o.http != "" {
		return runServeHTTP(ctx, e, o, filter, expose, noMeta)
	}
	// The catalog loads once the handshake is done, so the first tools/list answers at once; exposed tools and
	// --no-meta need it for tools/list itself, so then it starts now. Housekeeping waits for the handshake too.
	future := session.LazyCatalog(ctx, e.catalogOptions())
	defer func() { _ = future.Close(context.WithoutCancel(ctx)) }() // runs after the session closed
	if noMeta || len(expose) > 0 {
		future.Start()
	}
	var afterHandshake sync.Once
	initialized := func() {
		future.Start()
		afterHandshake.Do(func() {
			go announceSecretStore(e)
			if retention := e.cfg.Execution.RetentionDays; retention > 0 {
				go pruneExecutions(ctx, e, retention)
			}
		})
	}
	opts := e.servedSession(name, e.user, filter, expose, e.auth)
	opts.Ephemeral = o.ephemeral
	sess, err := session.Open(ctx, e.db, future, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := sess.Close(context.WithoutCancel(ctx)); err != nil {
			e.log.Warn("closing session", "err", err)
		}
	}()
	srv, err := server.New(ctx, server.Options{
		Session: sess, Prefix: e.cfg.MetaToolPrefix, NoMeta: noMeta, Version: session.Version, Logger: e.log,
		OnInitialized: initialized, OnFirstToolsList: started,
	})
	if err != nil {
		return err
	}
	go func() {
		defer started()
		select {
		case <-future.Done():
		case <-ctx.Done():
			return
		}
		cat, err := future.Get(ctx)
		if err != nil {
			e.log.Error("tool catalog failed to load", "err", err)
			return
		}
		for _, p := range cat.Problems {
			e.log.Warn("toolkit not loaded", "problem", p)
		}
		e.log.Info("catalog ready", "toolkits", len(cat.Toolkits()), "tools", cat.Len())
	}()
	e.log.Info("serving MCP on stdio", "session_id", sess.ID(), "user", e.user, "state_dir", e.stateDir)
	if err := srv.Run(ctx, &stdiojson.StdioTransport{}); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mcp server: %w", err)
	}
	return nil
}

// The garbage collector waits while a stdio server starts: until its first tools/list is answered and its catalog
// has loaded, or startGCPause has passed. A start allocates a few MB and the heap goal starts at 4 MB, so two
// collections ran in the ~15 ms before that answer, taking CPU from it (and a third from the catalog load).
// Meanwhile the heap is bounded by startHeapLimit (a collection runs if it is reached), or by a lower GOMEMLIMIT.
const (
	startHeapLimit = 64 << 20
	startGCPause   = time.Second
)

// pauseGC turns collection off, within a memory limit of limit bytes, until done has been called n times or atMost
// has passed; then it restores the settings it found (GOGC, GOMEMLIMIT).
func pauseGC(limit int64, atMost time.Duration, n int32) (done func()) {
	percent := debug.SetGCPercent(-1)
	memLimit := debug.SetMemoryLimit(-1) // a negative limit reads it
	debug.SetMemoryLimit(min(limit, memLimit))
	resume := sync.OnceFunc(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(memLimit)
	})
	timer := time.AfterFunc(atMost, resume)
	var left atomic.Int32
	left.Store(n)
	return func() {
		if left.Add(-1) == 0 {
			timer.Stop()
			resume()
		}
	}
}

// servedSession is the session.Options of a session `toolmux serve` opens, over stdio or HTTP: the user, name,
// filter and connections given, everything else from the config.
func (e *env) servedSession(name, user string, filter tools.Filter, expose []string, conns session.Connections) session.Options {
	return session.Options{
		Name: name, UserID: user, Filter: filter, Expose: expose, Connections: conns,
		StateDir: e.stateDir, Execution: e.cfg.Execution, Workbench: e.cfg.Workbench, Logger: e.log,
		HideUnconnected: e.cfg.Serve.HideUnconnected,
	}
}
