package cli

// This file holds `toolmux connect` and `toolmux connections`: connected accounts from the terminal. Secrets are
// read from stdin, never from the command line (argv is visible to every user of the machine).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// maxSecretBytes bounds a secret read from stdin.
const maxSecretBytes = 64 << 10

func newConnectCmd(g *globals) *cobra.Command {
	var alias, scheme, username string
	var apiKeyStdin, device bool
	cmd := &cobra.Command{
		Use:   "connect TOOLKIT",
		Short: "Connect an account: an API key, token or password from stdin (--api-key-stdin), or OAuth2",
		Long: `Connect an account for TOOLKIT and make it the toolkit's active account.

  printf %s "$GITHUB_TOKEN" | toolmux connect github --api-key-stdin --alias work

Without --api-key-stdin it connects with OAuth2 ([auth.TOOLKIT] client_id in the config): it opens the browser
(or prints the link) on a local page that sends you to the provider and back; --device uses the device flow instead
(a code to enter at the provider), which needs no browser on this machine.

The secret is read from stdin (never a command-line argument) and kept in the OS keychain (or the announced 0600
file fallback, see secrets.store); only metadata goes to state.db. --scheme picks API_KEY, BEARER_TOKEN or BASIC
(default: [auth.TOOLKIT].scheme, else what the toolkit declares); BASIC also needs --username.`,
		Args: cobra.ExactArgs(1),
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			ctx := cmd.Context()
			tk := findToolkit(cat, args[0])
			if tk == nil {
				return usageError("no toolkit %q; `toolmux toolkits list` shows the loaded ones", args[0])
			}
			if notice := e.auth.Secrets().Notice(); notice != "" {
				e.log.Warn("secret store", "notice", notice)
			}
			// The account's label (a GitHub login) comes from the toolkit's "who am I" call once it is connected.
			e.auth.SetLabeler(func(ctx context.Context, a store.ConnectedAccount) (string, error) { return cat.AccountLabel(ctx, a) })
			if !apiKeyStdin {
				return connectOAuth(cmd, g, e, tk, alias, device)
			}
			if scheme == "" {
				scheme = connectScheme(e, tk)
			}
			scheme = strings.ToUpper(scheme)
			secret, err := readSecret(g.io.In)
			if err != nil {
				return err
			}
			acct, err := e.auth.ConnectSecret(ctx, tk.Slug, alias, scheme, username, secret)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.io.Out, "connected %s%s: account %s%s, %s, %s; secret kept in the %s store\n",
				tk.Slug, labelSuffix(acct.Label), acct.ID, aliasSuffix(acct.Alias), acct.AuthScheme, acct.Status, e.auth.Secrets().Kind())
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&alias, "alias", "", "a name for this account (select it with connected_accounts = {TOOLKIT = \"ALIAS\"})")
	f.BoolVar(&apiKeyStdin, "api-key-stdin", false, "read the API key, token or password from stdin")
	f.BoolVar(&device, "device", false, "OAuth2 device flow: enter a code at the provider instead of a browser redirect")
	f.StringVar(&scheme, "scheme", "", "API_KEY, BEARER_TOKEN or BASIC (default: the config's, else the toolkit's)")
	f.StringVar(&username, "username", "", "the user name, for BASIC")
	return cmd
}

func findToolkit(cat *session.Catalog, slug string) *tools.Toolkit {
	for _, tk := range cat.Toolkits() {
		if tk.Slug == strings.ToLower(slug) {
			return tk
		}
	}
	return nil
}

// connectScheme picks the scheme a stdin secret is sent with: the config's static scheme, else the toolkit's first
// declared secret scheme (an OAuth2 toolkit takes a personal token as a bearer token).
func connectScheme(e *env, tk *tools.Toolkit) string {
	if a, ok := e.cfg.Auth[tk.Slug]; ok {
		switch a.Scheme {
		case tools.SchemeAPIKey, tools.SchemeBearerToken, tools.SchemeBasic:
			return a.Scheme
		}
	}
	for _, sch := range tk.AuthSchemes {
		switch sch.Scheme {
		case tools.SchemeAPIKey, tools.SchemeBearerToken, tools.SchemeBasic:
			return sch.Scheme
		}
	}
	return tools.SchemeBearerToken
}

// readSecret reads one secret from r: the whole input up to maxSecretBytes, trailing line breaks removed.
func readSecret(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read the secret from stdin: %w", err)
	}
	if len(data) > maxSecretBytes {
		return "", usageError("the secret on stdin is longer than %d bytes", maxSecretBytes)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", usageError("no secret on stdin: pipe it in, e.g. printf %%s \"$TOKEN\" | toolmux connect TOOLKIT --api-key-stdin")
	}
	return s, nil
}

func labelSuffix(label string) string {
	if label == "" {
		return ""
	}
	return " as " + label
}

func aliasSuffix(alias string) string {
	if alias == "" {
		return ""
	}
	return " (" + alias + ")"
}

// accountJSON is the --json shape of a connected account.
type accountJSON struct {
	ID           string    `json:"id"`
	User         string    `json:"user_id"`
	Toolkit      string    `json:"toolkit"`
	Alias        string    `json:"alias"`
	AuthScheme   string    `json:"auth_scheme"`
	Status       string    `json:"status"`
	StatusReason string    `json:"status_reason,omitempty"`
	Label        string    `json:"label,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	ConnectedAt  time.Time `json:"connected_at,omitzero"`
}

func toAccountJSON(a store.ConnectedAccount) accountJSON {
	return accountJSON{ID: a.ID, User: a.UserID, Toolkit: a.Toolkit, Alias: a.Alias, AuthScheme: a.AuthScheme,
		Status: a.Status, StatusReason: a.StatusReason, Label: a.Label, Scopes: a.Scopes, ExpiresAt: a.ExpiresAt,
		CreatedAt: a.CreatedAt, ConnectedAt: a.ConnectedAt}
}

func newConnectionsCmd(g *globals) *cobra.Command {
	var asJSON bool
	var toolkit string
	cmd := &cobra.Command{
		Use:   "connections",
		Short: "List, remove or refresh connected accounts",
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the user's connected accounts, the active choice per toolkit first",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			accts, err := e.auth.Accounts(cmd.Context(), toolkit)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]accountJSON, 0, len(accts))
				for _, a := range accts {
					out = append(out, toAccountJSON(a))
				}
				return printJSON(g.io.Out, out)
			}
			tb := newTable(g.io.Out, "ID", "TOOLKIT", "ALIAS", "SCHEME", "STATUS", "LABEL", "CONNECTED")
			for _, a := range accts {
				connected := ""
				if !a.ConnectedAt.IsZero() {
					connected = a.ConnectedAt.Local().Format(time.DateTime)
				}
				status := a.Status
				if a.StatusReason != "" {
					status += ": " + a.StatusReason
				}
				tb.row(a.ID, a.Toolkit, a.Alias, a.AuthScheme, status, a.Label, connected)
			}
			return tb.flush()
		}),
	}
	list.Flags().StringVar(&toolkit, "toolkit", "", "only this toolkit's accounts")
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Delete a connected account and its secret",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			if err := e.auth.Remove(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageError("%v", err)
				}
				return err
			}
			fmt.Fprintf(g.io.Out, "removed %s\n", args[0])
			return nil
		}),
	}
	refresh := &cobra.Command{
		Use:   "refresh ID",
		Short: "Refresh an OAuth2 account's token now (or check that another account's secret is still there)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			// An account that ends ACTIVE is named again by its toolkit's "who am I" call, as `connect` does.
			e.auth.SetLabeler(func(ctx context.Context, a store.ConnectedAccount) (string, error) { return cat.AccountLabel(ctx, a) })
			acct, err := e.auth.Refresh(cmd.Context(), args[0])
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageError("%v", err)
				}
				return err
			}
			fmt.Fprintf(g.io.Out, "%s%s%s: %s\n", acct.ID, aliasSuffix(acct.Alias), labelSuffix(acct.Label), acct.Status)
			return nil
		}),
	}
	cmd.AddCommand(list, remove, refresh)
	return cmd
}

// announceSecretStore says on stderr where secrets are kept when it is not the OS keychain. serve calls it after
// the MCP handshake: the keychain probe must not delay the first tools/list.
func announceSecretStore(e *env) {
	if notice := e.auth.Secrets().Notice(); notice != "" {
		e.log.Warn("secret store", "notice", notice)
	}
}

// stopAuth stops the connect server, if a connect link started it.
func stopAuth(e *env) { _ = e.auth.ConnectServer().Close() }

// secretStoreReport is doctor's line about the secret store: which one is in use and why.
func secretStoreReport(ctx context.Context, e *env) (ok bool, what, detail string) {
	mode := e.cfg.Secrets.Store
	if mode == "" {
		mode = auth.StoreAuto
	}
	st, err := auth.NewLazySecrets(mode, e.stateDir).Open(ctx)
	if err != nil {
		return false, "secrets", err.Error()
	}
	switch {
	case st.Notice() != "":
		return true, "secrets", "file (secrets.store = auto): " + st.Notice()
	case st.Kind() == auth.StoreFile:
		return true, "secrets", "0600 file in the state directory (secrets.store = file)"
	}
	return true, "secrets", "OS keychain (secrets.store = " + mode + ")"
}

// connectOAuth runs the OAuth2 browser flow (through the local connect server) or the device flow, and waits for
// the result.
func connectOAuth(cmd *cobra.Command, g *globals, e *env, tk *tools.Toolkit, alias string, device bool) error {
	ctx := cmd.Context()
	if device {
		acct, resp, err := e.auth.BeginDevice(ctx, tk.Slug, alias)
		if err != nil {
			return err
		}
		uri := resp.VerificationURIComplete
		if uri == "" {
			uri = resp.VerificationURI
		}
		fmt.Fprintf(g.io.Out, "To connect %s, open %s and enter the code %s (it expires in %s).\n", tk.Slug, uri, resp.UserCode,
			time.Until(resp.Expiry).Round(time.Second))
		wait, cancel := context.WithTimeout(ctx, auth.LinkTTL)
		defer cancel()
		acct, err = e.auth.CompleteDevice(wait, acct, resp)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.io.Out, "connected %s%s: account %s%s, %s\n", tk.Slug, labelSuffix(acct.Label), acct.ID, aliasSuffix(acct.Alias), acct.Status)
		return nil
	}
	link, err := e.auth.ConnectServer().NewLink(ctx, tk.Slug, alias, tools.SchemeOAuth2)
	if err != nil {
		return fmt.Errorf("%w (or connect with a personal token: toolmux connect %s --api-key-stdin)", err, tk.Slug)
	}
	start := time.Now()
	fmt.Fprintf(g.io.Out, "Open this link to connect %s (it works once, for %s):\n  %s\n", tk.Slug, auth.LinkTTL, link.URL)
	openBrowser(link.URL)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(auth.LinkTTL)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("connect %s: nobody finished the connection within %s; run the command again", tk.Slug, auth.LinkTTL)
		case <-tick.C:
		}
		acct, err := e.db.ConnectedAccount(ctx, link.Account.ID)
		if err != nil {
			return err
		}
		if !acct.UpdatedAt.After(start) || acct.Status == store.AccountInitiated {
			continue
		}
		if acct.Status != store.AccountActive {
			return fmt.Errorf("connect %s: %s: %s", tk.Slug, acct.Status, acct.StatusReason)
		}
		fmt.Fprintf(g.io.Out, "connected %s%s: account %s%s, %s\n", tk.Slug, labelSuffix(acct.Label), acct.ID, aliasSuffix(acct.Alias), acct.Status)
		return nil
	}
}

// openBrowser tries the desktop's URL opener; the link is printed either way.
func openBrowser(u string) {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return
		}
		name = "xdg-open"
	}
	if _, err := exec.LookPath(name); err != nil {
		return
	}
	c := exec.Command(name, append(args, u)...)
	if c.Start() == nil {
		go c.Wait()
	}
}

func newAuthConfigsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "auth-configs",
		Short: "Manage OAuth clients (client id, secret, scopes, endpoints) kept in the state instead of the config file",
		Long: `An auth config is the OAuth app toolmux connects a toolkit's accounts with: its client id, a reference to its
client secret, the scopes to ask for and, for a self-hosted provider, its endpoints. Set it in the config file
([auth.TOOLKIT]) or here; what is set here overrides the config file field by field. Client secrets go to the
secret store (OS keychain), never to the state or the config.

  toolmux auth-configs set github --client-id Iv1.0123456789abcdef
  printf %s "$GITHUB_CLIENT_SECRET" | toolmux auth-configs set github --client-secret-stdin
  toolmux auth-configs set github --client-secret-ref env:GITHUB_CLIENT_SECRET --scopes repo,read:org
  toolmux auth-configs list
  toolmux auth-configs remove github`,
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	var clientID, secretRef, scopes, authURL, tokenURL, deviceURL string
	var secretStdin bool
	set := &cobra.Command{
		Use:   "set TOOLKIT",
		Short: "Create or change a toolkit's OAuth client; flags not given keep their value",
		Args:  cobra.ExactArgs(1),
		RunE: g.withCatalog(func(cmd *cobra.Command, args []string, e *env, cat *session.Catalog) error {
			tk := findToolkit(cat, args[0])
			if tk == nil {
				return usageError("no toolkit %q; `toolmux toolkits list` shows the loaded ones", args[0])
			}
			var ch auth.AuthConfigChange
			f := cmd.Flags()
			for _, opt := range []struct {
				flag string
				v    *string
				dst  **string
			}{{"client-id", &clientID, &ch.ClientID}, {"client-secret-ref", &secretRef, &ch.ClientSecretRef},
				{"auth-url", &authURL, &ch.AuthURL}, {"token-url", &tokenURL, &ch.TokenURL}, {"device-url", &deviceURL, &ch.DeviceURL}} {
				if f.Changed(opt.flag) {
					*opt.dst = opt.v
				}
			}
			if f.Changed("scopes") {
				list := strings.FieldsFunc(scopes, func(r rune) bool { return r == ',' || r == ' ' })
				ch.Scopes = &list
			}
			if secretStdin {
				if ch.ClientSecretRef != nil {
					return usageError("give --client-secret-stdin or --client-secret-ref, not both")
				}
				secret, err := readSecret(g.io.In)
				if err != nil {
					return err
				}
				ch.ClientSecret = &secret
			}
			if ch == (auth.AuthConfigChange{}) {
				return usageError("nothing to set: give --client-id, --client-secret-stdin, --client-secret-ref, --scopes or an endpoint")
			}
			c, err := e.auth.SetAuthConfig(cmd.Context(), tk.Slug, ch)
			if err != nil {
				return usageError("%v", err)
			}
			if asJSON {
				infos, err := e.auth.AuthConfigs(cmd.Context())
				if err != nil {
					return err
				}
				for _, info := range infos {
					if info.Toolkit == tk.Slug {
						return printJSON(g.io.Out, info)
					}
				}
			}
			where := ""
			if c.ClientSecretRef == "keyring" {
				where = fmt.Sprintf("; client secret in the %s store", e.auth.Secrets().Kind())
			}
			fmt.Fprintf(g.io.Out, "set the %s OAuth client%s; connect with `toolmux connect %s`\n", tk.Slug, where, tk.Slug)
			return nil
		}),
	}
	sf := set.Flags()
	sf.StringVar(&clientID, "client-id", "", "the OAuth app's client id")
	sf.BoolVar(&secretStdin, "client-secret-stdin", false, "read the client secret from stdin and keep it in the secret store")
	sf.StringVar(&secretRef, "client-secret-ref", "", "where the client secret is: env:NAME (an environment variable) or keyring; empty removes it")
	sf.StringVar(&scopes, "scopes", "", "scopes to ask for, comma-separated (default: the toolkit's)")
	sf.StringVar(&authURL, "auth-url", "", "authorization endpoint override (a self-hosted provider)")
	sf.StringVar(&tokenURL, "token-url", "", "token endpoint override")
	sf.StringVar(&deviceURL, "device-url", "", "device authorization endpoint override")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the effective OAuth clients, from the state and the config file (no secrets)",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			infos, err := e.auth.AuthConfigs(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.io.Out, infos)
			}
			tb := newTable(g.io.Out, "TOOLKIT", "SOURCE", "CLIENT ID", "CLIENT SECRET", "SCOPES", "ENDPOINTS")
			for _, c := range infos {
				var endpoints []string
				for _, ep := range []struct{ name, v string }{{"auth", c.AuthURL}, {"token", c.TokenURL}, {"device", c.DeviceURL}} {
					if ep.v != "" {
						endpoints = append(endpoints, ep.name+"="+ep.v)
					}
				}
				tb.row(c.Toolkit, c.Source, c.ClientID, c.ClientSecretRef, strings.Join(c.Scopes, ","), strings.Join(endpoints, " "))
			}
			return tb.flush()
		}),
	}
	remove := &cobra.Command{
		Use:   "remove TOOLKIT",
		Short: "Delete a toolkit's stored OAuth client and its client secret (the config file's [auth.TOOLKIT] applies again)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			slug := strings.ToLower(args[0])
			if err := e.auth.RemoveAuthConfig(cmd.Context(), slug); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return usageError("%v", err)
				}
				return err
			}
			fmt.Fprintf(g.io.Out, "removed the stored %s OAuth client\n", slug)
			return nil
		}),
	}
	setSecret := &cobra.Command{
		Use:   "set-client-secret TOOLKIT",
		Short: "Store an OAuth client secret (read from stdin) in the secret store, for client_secret = \"keyring\"",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			secret, err := readSecret(g.io.In)
			if err != nil {
				return err
			}
			if err := e.auth.SetClientSecret(cmd.Context(), strings.ToLower(args[0]), secret); err != nil {
				return err
			}
			fmt.Fprintf(g.io.Out, "stored the %s client secret in the %s store; set [auth.%s] client_secret = \"keyring\"\n",
				args[0], e.auth.Secrets().Kind(), strings.ToLower(args[0]))
			return nil
		}),
	}
	cmd.AddCommand(set, list, remove, setSecret)
	return cmd
}
