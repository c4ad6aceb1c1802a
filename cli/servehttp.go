package cli

// `toolmux serve --http`: package server's HTTPHandler, one toolmux session per MCP session, users from users.go.

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/server"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools"
)

// addHTTPFlags adds serve's HTTP mode flags.
func addHTTPFlags(cmd *cobra.Command, o *serveOptions) {
	f := cmd.Flags()
	f.StringVar(&o.http, "http", "", "serve MCP over streamable HTTP at http://ADDR/mcp instead of stdio, e.g. 127.0.0.1:8931")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "with --http: allow a non-loopback address (needs --tls-cert and --tls-key)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "with --http: TLS certificate chain (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "with --http: TLS private key (PEM)")
	f.BoolVar(&o.noAuth, "no-auth", false, "with --http on loopback: no bearer tokens; every request is --user (for single-user setups and test suites)")
	cmd.Long += `

With --http ADDR, serve MCP over streamable HTTP at /mcp instead of stdio. Each MCP session is a session of its own
(ephemeral, or named with the Toolmux-Session header or ?session=NAME to resume it). Requests authenticate with
"Authorization: Bearer TOKEN" (toolmux users add NAME); the token decides the user. A non-loopback ADDR needs
--allow-remote, --tls-cert and --tls-key.`
}

// checkHTTPFlags validates the HTTP mode flags before anything is opened.
func checkHTTPFlags(o serveOptions) error {
	if o.http == "" {
		for _, f := range []struct {
			name string
			set  bool
		}{{"--allow-remote", o.allowRemote}, {"--tls-cert", o.tlsCert != ""}, {"--tls-key", o.tlsKey != ""}, {"--no-auth", o.noAuth}} {
			if f.set {
				return usageError("%s only applies with --http ADDR", f.name)
			}
		}
		return nil
	}
	if o.session != "" || o.ephemeral {
		return usageError("--session and --ephemeral do not apply with --http: each MCP session is a session of its own; "+
			"clients name one to resume with the %s header or ?%s=NAME", server.SessionHeader, server.SessionQuery)
	}
	if _, err := server.CheckListen(o.http, o.allowRemote, o.tlsCert, o.tlsKey, o.noAuth); err != nil {
		return usageError("%v", err)
	}
	return nil
}

// runServeHTTP serves sessions over streamable HTTP until ctx ends. The catalog is loaded once for the process;
// each user gets an auth Manager of their own (server.UserAuth).
func runServeHTTP(ctx context.Context, e *env, o serveOptions, filter tools.Filter, expose []string, noMeta bool) error {
	remote, _ := server.CheckListen(o.http, o.allowRemote, o.tlsCert, o.tlsKey, o.noAuth)
	secrets := e.auth.Secrets()
	users := &server.UserAuth{New: func(user string) *auth.Manager {
		return auth.NewManager(auth.ManagerOptions{DB: e.db, User: user, Config: e.cfg, Logger: e.log.With("user", user), Secrets: secrets})
	}}
	defer users.Close()
	catOpts := e.catalogOptions()
	catOpts.Auth = users
	future := session.LoadCatalogAsync(ctx, catOpts)
	defer func() { _ = future.Close(context.WithoutCancel(ctx)) }()
	go func() {
		cat, err := future.Get(ctx)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("tool catalog failed to load", "err", err)
			}
			return
		}
		for _, p := range cat.Problems {
			e.log.Warn("toolkit not loaded", "problem", p)
		}
		e.log.Info("catalog ready", "toolkits", len(cat.Toolkits()), "tools", cat.Len())
	}()
	go announceSecretStore(e)
	if retention := e.cfg.Execution.RetentionDays; retention > 0 {
		go pruneExecutions(ctx, e, retention)
	}
	opts := server.HTTPOptionsFromConfig(server.HTTPOptions{
		Server: server.Options{Prefix: e.cfg.MetaToolPrefix, NoMeta: noMeta, Version: session.Version, Logger: e.log},
		OpenSession: func(ctx context.Context, user, name string) (*session.Session, error) {
			opts := e.servedSession(name, user, filter, expose, users.For(user))
			opts.Ephemeral = name == ""
			return session.Open(ctx, e.db, future, opts)
		},
		Users: e.db, NoAuth: o.noAuth, NoAuthUser: e.user, Remote: remote, Logger: e.log,
	}, e.cfg.HTTP)
	h, err := server.NewHTTPHandler(opts)
	if err != nil {
		return err
	}
	if o.noAuth {
		e.log.Warn("--no-auth: every request is served as this user, without a token; any program on this machine can connect", "user", e.user)
	} else if us, err := e.db.Users(ctx); err == nil && len(us) == 0 {
		e.log.Warn("no users yet: every request will get 401; create one with `toolmux users add NAME`")
	}
	return server.ListenAndServe(ctx, h, server.ListenOptions{
		Addr: o.http, TLSCert: o.tlsCert, TLSKey: o.tlsKey, Logger: e.log,
		ShutdownGrace: time.Duration(e.cfg.HTTP.ShutdownGraceSeconds) * time.Second,
	})
}
