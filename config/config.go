// Package config is toolmux's configuration: the TOML schema, the embedded default, the lookup of the config file
// and of the state directory (XDG), and validation with errors that name the key.
//
// It depends on nothing else in toolmux. Precedence is flags over environment over the file over the embedded
// default; callers apply flags after Load.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

//go:embed default.toml
var defaultTOML []byte

// Config is the whole configuration.
type Config struct {
	// User is whose connected accounts and sessions are in scope; empty means the OS user name.
	User string `toml:"user"`
	// Session is the session name `serve` resumes when --session is not given.
	Session string `toml:"session"`
	// MetaToolPrefix renames the six meta tools at once: PREFIX_SEARCH_TOOLS, ….
	MetaToolPrefix string `toml:"meta_tool_prefix"`
	// LogLevel is debug, info, warn or error; logs go to stderr.
	LogLevel string `toml:"log_level"`
	// StateDir holds state.db and session files; empty means $TOOLMUX_STATE_DIR or $XDG_STATE_HOME/toolmux.
	StateDir string `toml:"state_dir"`

	Serve     Serve           `toml:"serve"`
	HTTP      HTTP            `toml:"http"`
	Filter    Filter          `toml:"filter"`
	Execution Execution       `toml:"execution"`
	Workbench Workbench       `toml:"workbench"`
	Builtin   Builtin         `toml:"builtin"`
	Toolkits  []Toolkit       `toml:"toolkits"`
	Auth      map[string]Auth `toml:"auth"`
	// Secrets chooses where connected accounts' secrets are kept.
	Secrets Secrets `toml:"secrets"`
	// Connect configures the local connect server (the pages of connect links).
	Connect Connect `toml:"connect"`
	// ConnectedAccounts picks the account (alias or ca_ id) a toolkit's calls use; empty: the most recently
	// connected ACTIVE one.
	ConnectedAccounts map[string]string `toml:"connected_accounts"`

	// file is where the config was read from; empty for the embedded default.
	file string
}

// Serve configures the MCP server.
type Serve struct {
	// Expose lists toolkit tool slugs listed directly in tools/list next to the meta tools.
	Expose []string `toml:"expose"`
	// NoMeta serves only the filtered toolkit tools, without meta tools (direct access).
	NoMeta bool `toml:"no_meta"`
	// HideUnconnected lists directly (expose, no_meta) only the tools of toolkits that have credentials; the others
	// appear, with notifications/tools/list_changed, once their account is connected.
	HideUnconnected bool `toml:"hide_unconnected"`
}

// HTTP configures `serve --http` (streamable HTTP); a zero value means the default named in config.example.toml.
type HTTP struct {
	// SessionTimeoutMinutes closes an MCP session idle this long (its workbench processes stop).
	SessionTimeoutMinutes int `toml:"session_timeout_minutes"`
	// MaxBodyBytes caps a request body; larger ones are refused with 413.
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// RateLimit is each user's sustained requests per second, RateBurst how many may come at once; over it: 429.
	RateLimit float64 `toml:"rate_limit"`
	RateBurst int     `toml:"rate_burst"`
	// AllowedOrigins are browser origins (scheme://host[:port]) allowed besides loopback ones.
	AllowedOrigins []string `toml:"allowed_origins"`
	// AllowedHosts are Host header values (host or host:port) allowed besides loopback names.
	AllowedHosts []string `toml:"allowed_hosts"`
	// ShutdownGraceSeconds is how long shutdown waits for in-flight calls.
	ShutdownGraceSeconds int `toml:"shutdown_grace_seconds"`
}

// Filter decides which tools a session may see and run (Composio semantics).
type Filter struct {
	// Toolkits is an enable list or a disable list of toolkit slugs, not both.
	Toolkits List `toml:"toolkits"`
	// Tags: enable means "has at least one of", disable means "has none of".
	Tags List `toml:"tags"`
	// Toolkit holds per-toolkit tool and tag lists; a toolkit's tag lists replace the global ones for its tools.
	Toolkit map[string]ToolkitFilter `toml:"toolkit"`
}

// List is an enable list or a disable list.
type List struct {
	Enable  []string `toml:"enable"`
	Disable []string `toml:"disable"`
}

// ToolkitFilter narrows one toolkit.
type ToolkitFilter struct {
	Tools List `toml:"tools"`
	Tags  List `toml:"tags"`
}

// Execution bounds tool calls.
type Execution struct {
	// Concurrency is how many calls of one multi-execute run at once.
	Concurrency int `toml:"concurrency"`
	// TimeoutSeconds bounds each call.
	TimeoutSeconds int `toml:"timeout_seconds"`
	// OffloadThresholdChars: a response longer than this is written to the files dir and previewed.
	OffloadThresholdChars int `toml:"offload_threshold_chars"`
	// MaxResponseBytes refuses larger HTTP responses.
	MaxResponseBytes int64 `toml:"max_response_bytes"`
	// RetentionDays keeps the execution log this long; 0 keeps it forever.
	RetentionDays int `toml:"retention_days"`
}

// Workbench configures the sandbox of COMPOSIO_REMOTE_WORKBENCH and COMPOSIO_REMOTE_BASH_TOOL.
type Workbench struct {
	// Sandbox is "bwrap" (bubblewrap isolation) or "none" (no isolation; every result then carries a warning).
	Sandbox string `toml:"sandbox"`
	// TimeoutSeconds is the default and maximum wall time of one call.
	TimeoutSeconds int `toml:"timeout_seconds"`
	// MemoryMB is each process's address-space limit.
	MemoryMB int `toml:"memory_mb"`
	// MaxFileMB is the largest file sandboxed code may write.
	MaxFileMB int `toml:"max_file_mb"`
	// MaxOpenFiles and MaxProcesses bound open descriptors and processes.
	MaxOpenFiles int `toml:"max_open_files"`
	MaxProcesses int `toml:"max_processes"`
}

// Builtin adjusts curated toolkits.
type Builtin struct {
	// Disable switches curated toolkits off.
	Disable []string `toml:"disable"`
	// BaseURL points a curated toolkit at another host (GitHub Enterprise, a local mock), by toolkit slug.
	BaseURL map[string]string `toml:"base_url"`
}

// Toolkit declares a toolkit imported from an OpenAPI document or served by an upstream MCP server.
type Toolkit struct {
	Slug string `toml:"slug"`
	// Type is "openapi" or "mcp" (an MCP server over stdio or streamable HTTP).
	Type string `toml:"type"`
	// Spec is the document's path; a relative path is relative to the config file's directory.
	Spec string `toml:"spec"`
	// BaseURL overrides the document's server URL.
	BaseURL string `toml:"base_url"`
	// Replace lets this toolkit take the slug of a built-in one.
	Replace bool `toml:"replace"`
	// Command, Args, Env and Cwd start a type "mcp" upstream over stdio. The child's environment is PATH, HOME,
	// USER, LANG and TMPDIR from toolmux's plus Env; Cwd relative to the config file's directory, empty: toolmux's.
	Command string            `toml:"command"`
	Args    []string          `toml:"args"`
	Env     map[string]string `toml:"env"`
	Cwd     string            `toml:"cwd"`
	// URL is the streamable HTTP endpoint of a remote type "mcp" upstream (instead of Command); Headers are sent
	// with every request. Env and Headers values may be references, resolved when the upstream starts: "env:NAME"
	// (toolmux's environment) or "keyring:NAME" (the secret store entry `toolmux secrets set NAME` wrote).
	URL     string            `toml:"url"`
	Headers map[string]string `toml:"headers"`
}

// validateMCP checks the keys of a type "mcp" toolkit: a command (stdio) or a url (streamable HTTP), not both.
func (t Toolkit) validateMCP(where string) error {
	switch {
	case t.Command == "" && t.URL == "":
		return fmt.Errorf("%s.command is missing: give the command that starts the MCP server over stdio, or url for a streamable HTTP MCP endpoint", where)
	case t.Command != "" && t.URL != "":
		return fmt.Errorf("%s: command and url are both set; keep one (command for stdio, url for streamable HTTP)", where)
	case t.URL != "" && (len(t.Args) > 0 || len(t.Env) > 0 || t.Cwd != ""):
		return fmt.Errorf("%s: args, env and cwd belong to a command upstream; remove them from this url upstream", where)
	case t.Command != "" && len(t.Headers) > 0:
		return fmt.Errorf("%s: headers belong to a url upstream; remove them or use url", where)
	case t.URL != "" && !strings.HasPrefix(t.URL, "https://") && !strings.HasPrefix(t.URL, "http://"):
		return fmt.Errorf("%s.url = %q: use an absolute http(s) URL", where, t.URL)
	}
	for k := range t.Headers {
		if k == "" || strings.ContainsAny(k, ": \t\r\n") {
			return fmt.Errorf("%s.headers: %q is not a header name", where, k)
		}
	}
	return nil
}

// Auth gives a toolkit static credentials. Secret values are references, never plain text: env:NAME (an
// environment variable) or keyring:NAME (kept in the secret store by `toolmux secrets set NAME`).
type Auth struct {
	// Scheme is BEARER_TOKEN, API_KEY, BASIC or NO_AUTH.
	Scheme string `toml:"scheme"`
	// Token is the bearer token or API key reference.
	Token string `toml:"token"`
	// In and Name place an API key ("header" or "query", and its name); empty uses the toolkit's declared scheme.
	In   string `toml:"in"`
	Name string `toml:"name"`
	// Username and Password (a reference) for BASIC.
	Username string `toml:"username"`
	Password string `toml:"password"`
	// ClientID, ClientSecret (a reference: env:NAME, keyring:NAME or "keyring") and Scopes configure OAuth2 for `toolmux connect`;
	// AuthURL, TokenURL and DeviceURL override the provider endpoints a curated toolkit carries, ScopeSeparator the
	// separator its authorization request puts between scopes ("," for providers that want "read,write").
	ClientID       string   `toml:"client_id"`
	ClientSecret   string   `toml:"client_secret"`
	Scopes         []string `toml:"scopes"`
	AuthURL        string   `toml:"auth_url"`
	TokenURL       string   `toml:"token_url"`
	DeviceURL      string   `toml:"device_url"`
	ScopeSeparator string   `toml:"scope_separator"`
}

// Secrets configures the secret store.
type Secrets struct {
	// Store is "auto" (the OS keychain, else an announced 0600 file), "keyring" (never a file) or "file".
	Store string `toml:"store"`
}

// Connect configures the local connect server.
type Connect struct {
	// Port on 127.0.0.1; 0 picks a free port per process. A fixed port lets another toolmux process on the same
	// state serve a link after the process that made it ended, and gives OAuth apps a fixed redirect URI.
	Port int `toml:"port"`
}

// File returns the path the config was loaded from, or "" for the embedded default.
func (c *Config) File() string { return c.file }

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := parse(defaultTOML, "")
	if err != nil {
		panic(fmt.Sprintf("embedded default config is invalid: %v", err))
	}
	return c
}

// Load reads the config file at path; an empty path returns the embedded default.
func Load(path string) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w (create one with `toolmux config init`)", err)
	}
	return parse(data, path)
}

// Parse reads a config from TOML text; name is used in error messages.
func Parse(data []byte, name string) (*Config, error) { return parse(data, name) }

func parse(data []byte, file string) (*Config, error) {
	c := &Config{}
	if err := toml.Unmarshal(defaultTOML, c); err != nil {
		return nil, fmt.Errorf("embedded default config: %w", err)
	}
	// Slices and maps from the default must not leak into a file that sets its own.
	c.Toolkits, c.Auth = nil, nil
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, describeDecodeError(displayName(file), err)
	}
	c.file = file
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(file), err)
	}
	return c, nil
}

func displayName(file string) string {
	if file == "" {
		return "embedded default config"
	}
	return file
}

func describeDecodeError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var keys []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			keys = append(keys, fmt.Sprintf("%q (line %d)", strings.Join(e.Key(), "."), row))
		}
		return fmt.Errorf("%s: unknown key %s; see config.example.toml for the keys toolmux knows", name, strings.Join(keys, ", "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		key := strings.Join(de.Key(), ".")
		if key != "" {
			return fmt.Errorf("%s:%d:%d: key %q: %s", name, row, col, key, de.Error())
		}
		return fmt.Errorf("%s:%d:%d: %s", name, row, col, de.Error())
	}
	return fmt.Errorf("%s: %w", name, err)
}

// The length limits are checked apart from the patterns: a bounded repetition such as {0,127} compiles into that
// many copies of its class, which made compiling these three a millisecond of every start.
var (
	slugRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)            // at most maxSlugLen
	sessionRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`) // at most maxSessionLen
	prefixRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)            // at most maxPrefixLen
	secretRefRE = regexp.MustCompile(`^(env|keyring):[A-Za-z_][A-Za-z0-9_]*$`)
	logLevels   = []string{"debug", "info", "warn", "error"}
	authScheme  = []string{"BEARER_TOKEN", "API_KEY", "BASIC", "NO_AUTH", "OAUTH2"}
)

const (
	maxSlugLen    = 64
	maxSessionLen = 128
	maxPrefixLen  = 32
)

// ValidSlug reports whether s is a valid toolkit slug.
func ValidSlug(s string) bool { return len(s) <= maxSlugLen && slugRE.MatchString(s) }

// ValidSessionName reports whether s can name a session.
func ValidSessionName(s string) bool { return len(s) <= maxSessionLen && sessionRE.MatchString(s) }

// Validate checks every key and returns the first problem, naming the key and the fix.
func (c *Config) Validate() error {
	if c.Session != "" && !ValidSessionName(c.Session) {
		return fmt.Errorf("session = %q: use letters, digits, '.', '_' or '-' (at most 128)", c.Session)
	}
	if len(c.MetaToolPrefix) > maxPrefixLen || !prefixRE.MatchString(c.MetaToolPrefix) {
		return fmt.Errorf("meta_tool_prefix = %q: use upper-case letters, digits and '_', starting with a letter (e.g. COMPOSIO or TOOLMUX)", c.MetaToolPrefix)
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		return fmt.Errorf("log_level = %q: use one of %s", c.LogLevel, strings.Join(logLevels, ", "))
	}
	if err := c.Filter.validate(); err != nil {
		return err
	}
	e := c.Execution
	switch {
	case e.Concurrency < 1 || e.Concurrency > 64:
		return fmt.Errorf("execution.concurrency = %d: use 1 to 64", e.Concurrency)
	case e.TimeoutSeconds < 1 || e.TimeoutSeconds > 3600:
		return fmt.Errorf("execution.timeout_seconds = %d: use 1 to 3600", e.TimeoutSeconds)
	case e.OffloadThresholdChars < 100:
		return fmt.Errorf("execution.offload_threshold_chars = %d: use at least 100", e.OffloadThresholdChars)
	case e.MaxResponseBytes < 1024:
		return fmt.Errorf("execution.max_response_bytes = %d: use at least 1024", e.MaxResponseBytes)
	case e.RetentionDays < 0:
		return fmt.Errorf("execution.retention_days = %d: use 0 (keep forever) or more", e.RetentionDays)
	}
	if err := c.Workbench.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, t := range c.Toolkits {
		where := fmt.Sprintf("toolkits[%d]", i)
		if !ValidSlug(t.Slug) {
			return fmt.Errorf("%s.slug = %q: use lower-case letters, digits and '_', starting with a letter", where, t.Slug)
		}
		if seen[t.Slug] {
			return fmt.Errorf("%s.slug = %q: declared twice; remove one of the [[toolkits]] entries", where, t.Slug)
		}
		seen[t.Slug] = true
		switch t.Type {
		case "openapi":
			if t.Spec == "" {
				return fmt.Errorf("%s.spec is missing: give the path of the OpenAPI or Swagger document", where)
			}
			if t.Command != "" || len(t.Args) > 0 || len(t.Env) > 0 || t.Cwd != "" || t.URL != "" || len(t.Headers) > 0 {
				return fmt.Errorf("%s: command, args, env, cwd, url and headers belong to type \"mcp\" toolkits; remove them or set type = \"mcp\"", where)
			}
		case "mcp":
			if err := t.validateMCP(where); err != nil {
				return err
			}
			if t.Spec != "" || t.BaseURL != "" {
				return fmt.Errorf("%s: spec and base_url belong to type \"openapi\" toolkits; remove them from this mcp toolkit", where)
			}
			for k := range t.Env {
				if k == "" || strings.ContainsAny(k, "=\x00") {
					return fmt.Errorf("%s.env: %q is not an environment variable name", where, k)
				}
			}
		default:
			return fmt.Errorf("%s.type = %q: use \"openapi\" or \"mcp\"", where, t.Type)
		}
	}
	for slug, a := range c.Auth {
		if err := a.validate("auth." + slug); err != nil {
			return err
		}
	}
	if s := c.Secrets.Store; s != "" && s != "auto" && s != "keyring" && s != "file" {
		return fmt.Errorf("secrets.store = %q: use \"auto\", \"keyring\" or \"file\"", s)
	}
	if p := c.Connect.Port; p < 0 || p > 65535 {
		return fmt.Errorf("connect.port = %d: use 0 (any free port) or a port number up to 65535", p)
	}
	for _, slug := range c.Builtin.Disable {
		if !ValidSlug(slug) {
			return fmt.Errorf("builtin.disable: %q is not a toolkit slug", slug)
		}
	}
	for slug, u := range c.Builtin.BaseURL {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("builtin.base_url.%s = %q: use an absolute http(s) URL", slug, u)
		}
	}
	for i, t := range c.Toolkits {
		if t.BaseURL != "" && !strings.HasPrefix(t.BaseURL, "https://") && !strings.HasPrefix(t.BaseURL, "http://") {
			return fmt.Errorf("toolkits[%d].base_url = %q: use an absolute http(s) URL", i, t.BaseURL)
		}
	}
	return nil
}

func (f Filter) validate() error {
	if len(f.Toolkits.Enable) > 0 && len(f.Toolkits.Disable) > 0 {
		return errors.New("filter.toolkits: set enable or disable, not both")
	}
	for slug, tf := range f.Toolkit {
		if !ValidSlug(slug) {
			return fmt.Errorf("filter.toolkit.%s: not a toolkit slug", slug)
		}
		if len(tf.Tools.Enable) > 0 && len(tf.Tools.Disable) > 0 {
			return fmt.Errorf("filter.toolkit.%s.tools: set enable or disable, not both", slug)
		}
	}
	return nil
}

func (a Auth) validate(where string) error {
	if !slices.Contains(authScheme, a.Scheme) {
		return fmt.Errorf("%s.scheme = %q: use one of %s", where, a.Scheme, strings.Join(authScheme, ", "))
	}
	if a.ClientSecret != "" && a.ClientSecret != "keyring" && !secretRefRE.MatchString(a.ClientSecret) {
		return fmt.Errorf("%s.client_secret: write \"env:NAME\", \"keyring:NAME\" or \"keyring\"; client secrets are never written in the config", where)
	}
	for key, v := range map[string]string{"token": a.Token, "password": a.Password} {
		if v != "" && !secretRefRE.MatchString(v) {
			return fmt.Errorf("%s.%s: secrets are never written in the config; set an environment variable and write \"env:NAME\", or store it with `toolmux secrets set NAME` and write \"keyring:NAME\"", where, key)
		}
	}
	switch a.Scheme {
	case "BEARER_TOKEN", "API_KEY":
		if a.Token == "" {
			return fmt.Errorf("%s.token is missing: write token = \"env:NAME\"", where)
		}
	case "BASIC":
		if a.Username == "" || a.Password == "" {
			return fmt.Errorf("%s: BASIC needs username and password = \"env:NAME\"", where)
		}
	}
	if a.In != "" && a.In != "header" && a.In != "query" {
		return fmt.Errorf("%s.in = %q: use \"header\" or \"query\"", where, a.In)
	}
	if a.ScopeSeparator != "" && a.ScopeSeparator != " " && a.ScopeSeparator != "," {
		return fmt.Errorf("%s.scope_separator = %q: use \",\" (scope=read,write) or \" \" (scope=read%%20write, the OAuth 2.0 default)", where, a.ScopeSeparator)
	}
	return nil
}

// IsSecretRef reports whether v is a secret reference: "env:NAME" or "keyring:NAME".
func IsSecretRef(v string) bool { return secretRefRE.MatchString(v) }

// ResolveSecret returns the value an "env:NAME" reference points to. "keyring:NAME" references need the secret
// store: auth.ResolveRef resolves both kinds.
func ResolveSecret(ref string) (string, error) {
	if strings.HasPrefix(ref, "keyring:") {
		return "", fmt.Errorf("secret reference %q is kept in the secret store, which is not open here", ref)
	}
	name, ok := strings.CutPrefix(ref, "env:")
	if !ok {
		// ref is not a reference, so it may be the secret itself: it is not echoed.
		return "", errors.New("a secret value is not a reference: write env:NAME (an environment variable) or keyring:NAME (stored with `toolmux secrets set NAME`)")
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is not set (the config refers to it as %q)", name, ref)
	}
	return v, nil
}

// CwdPath returns t.Cwd resolved against the config file's directory; empty stays empty.
func (c *Config) CwdPath(t Toolkit) string {
	if t.Cwd == "" || filepath.IsAbs(t.Cwd) || c.file == "" {
		return t.Cwd
	}
	return filepath.Join(filepath.Dir(c.file), t.Cwd)
}

// SpecPath returns t.Spec resolved against the config file's directory.
func (c *Config) SpecPath(t Toolkit) string {
	if filepath.IsAbs(t.Spec) || c.file == "" {
		return t.Spec
	}
	return filepath.Join(filepath.Dir(c.file), t.Spec)
}

func (w Workbench) validate() error {
	switch {
	case w.Sandbox != "bwrap" && w.Sandbox != "none":
		return fmt.Errorf("workbench.sandbox = %q: use \"bwrap\" (isolated) or \"none\" (no isolation)", w.Sandbox)
	case w.TimeoutSeconds < 1 || w.TimeoutSeconds > 3600:
		return fmt.Errorf("workbench.timeout_seconds = %d: use 1 to 3600", w.TimeoutSeconds)
	case w.MemoryMB < 64:
		return fmt.Errorf("workbench.memory_mb = %d: use at least 64 (python needs it)", w.MemoryMB)
	case w.MaxFileMB < 1:
		return fmt.Errorf("workbench.max_file_mb = %d: use at least 1", w.MaxFileMB)
	case w.MaxOpenFiles < 32:
		return fmt.Errorf("workbench.max_open_files = %d: use at least 32", w.MaxOpenFiles)
	case w.MaxProcesses < 4:
		return fmt.Errorf("workbench.max_processes = %d: use at least 4", w.MaxProcesses)
	}
	return nil
}

// A SecretRef is one secret reference of the config and where it is written.
type SecretRef struct {
	Where string // "auth.github.token", "toolkits.remote.headers.Authorization"
	Ref   string // "env:NAME" or "keyring:NAME"
}

// SecretRefs lists the config's secret references in a stable order: [auth.*] tokens, passwords and client secrets,
// and mcp toolkits' header and env values that are references.
func SecretRefs(c *Config) []SecretRef {
	var refs []SecretRef
	for _, slug := range slices.Sorted(maps.Keys(c.Auth)) {
		a := c.Auth[slug]
		for _, f := range []struct{ key, v string }{{"token", a.Token}, {"password", a.Password}, {"client_secret", a.ClientSecret}} {
			if IsSecretRef(f.v) {
				refs = append(refs, SecretRef{Where: "auth." + slug + "." + f.key, Ref: f.v})
			}
		}
	}
	for _, t := range c.Toolkits {
		for _, m := range []struct {
			name string
			kv   map[string]string
		}{{"headers", t.Headers}, {"env", t.Env}} {
			for _, k := range slices.Sorted(maps.Keys(m.kv)) {
				if IsSecretRef(m.kv[k]) {
					refs = append(refs, SecretRef{Where: "toolkits." + t.Slug + "." + m.name + "." + k, Ref: m.kv[k]})
				}
			}
		}
	}
	return refs
}
