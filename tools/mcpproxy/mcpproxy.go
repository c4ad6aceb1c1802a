// Package mcpproxy turns an upstream MCP server into a toolmux toolkit: it starts the server (a stdio command) in
// a process group of its own with an explicit environment, lists its tools as tools.Tool values renamed
// TOOLKIT_<UPPER_SNAKE(name)>, and executes calls against it through the tools.Executor seam.
//
// The upstream is started lazily on the first List or Execute, restarted on the next call after it crashed, and
// stopped by Close: stdin is closed, then the group gets SIGTERM, then SIGKILL, so no child is left behind.
//
// It depends only on tools and the MCP go-sdk; the session wires it in.
package mcpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

// Config describes one stdio upstream.
type Config struct {
	// Toolkit is the toolkit slug (lower case); tool slugs are upper(Toolkit) + "_" + UPPER_SNAKE(name).
	Toolkit string
	Command string
	Args    []string
	// Env is the child's whole environment, KEY=VALUE; nothing of toolmux's own environment is inherited.
	Env []string
	// Dir is the working directory; empty means toolmux's.
	Dir string
	// StartTimeout bounds starting and initializing the upstream; zero means 30s.
	StartTimeout time.Duration
	// StopGrace is how long Close waits after closing stdin and again after SIGTERM; zero means 2s.
	StopGrace time.Duration
	Logger    *slog.Logger
}

// Client is one upstream MCP server. It is safe for concurrent use.
type Client struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	sess   *mcp.ClientSession
	pgid   int
	dead   chan struct{} // closed when the current session's connection ends
	names  map[string]string
	closed bool
}

// New returns a client for cfg; nothing is started until the first List or Execute.
func New(cfg Config) *Client {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 2 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log.With("toolkit", cfg.Toolkit), names: map[string]string{}}
}

// PGID returns the process group of the running upstream, 0 when none runs.
func (c *Client) PGID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return 0
	}
	return c.pgid
}

// session returns a live session, starting (or restarting) the upstream when needed.
func (c *Client) session(ctx context.Context) (*mcp.ClientSession, <-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, nil, fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, ErrClosed)
	}
	if c.sess != nil {
		select {
		case <-c.dead:
			c.log.Warn("upstream exited; restarting", "command", c.cfg.Command)
			c.stopLocked()
		default:
			return c.sess, c.dead, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	cmd := exec.Command(c.cfg.Command, c.cfg.Args...)
	cmd.Env = c.cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.cfg.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux", Version: "dev"}, nil)
	sess, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: c.cfg.StopGrace}, nil)
	if err != nil {
		if cmd.Process != nil {
			killGroup(cmd.Process.Pid, c.cfg.StopGrace)
		}
		return nil, nil, fmt.Errorf("start upstream %s (%s): %w; check the command, its arguments and that it speaks MCP on stdout", c.cfg.Toolkit, c.cfg.Command, err)
	}
	dead := make(chan struct{})
	go func() { _ = sess.Wait(); close(dead) }()
	c.sess, c.pgid, c.dead = sess, cmd.Process.Pid, dead
	return sess, dead, nil
}

// stopLocked closes the session (stdin, wait, SIGTERM, SIGKILL of the leader) and then the whole group.
func (c *Client) stopLocked() {
	if c.sess == nil {
		return
	}
	_ = c.sess.Close()
	killGroup(c.pgid, c.cfg.StopGrace)
	c.sess, c.pgid = nil, 0
}

// killGroup sends SIGTERM to the process group, waits up to grace for it to disappear, then sends SIGKILL.
func killGroup(pgid int, grace time.Duration) {
	if pgid <= 0 {
		return
	}
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return // the group is gone
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Close stops the upstream and its whole process group; later calls fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.stopLocked()
	return nil
}

// List starts the upstream if needed and returns its tools as a toolkit.
func (c *Client) List(ctx context.Context) (*tools.Toolkit, error) {
	sess, _, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	tk := &tools.Toolkit{Slug: c.cfg.Toolkit, Name: c.cfg.Toolkit, Source: tools.SourceMCP, AuthSchemes: []tools.AuthScheme{{Scheme: tools.SchemeNoAuth}}}
	if info := sess.InitializeResult(); info != nil && info.ServerInfo != nil {
		tk.Version = info.ServerInfo.Version
		if info.ServerInfo.Title != "" {
			tk.Name = info.ServerInfo.Title
		}
		tk.Description = info.Instructions
	}
	seen := map[string]int{}
	names := map[string]string{}
	for t, err := range sess.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("list tools of upstream %s: %w", c.cfg.Toolkit, err)
		}
		tool, err := convert(c.cfg.Toolkit, t)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", c.cfg.Toolkit, err)
		}
		if n := seen[tool.Slug]; n > 0 {
			seen[tool.Slug] = n + 1
			c.log.Warn("tool slug collision; numbered", "tool", t.Name, "slug", tool.Slug)
			tool.Slug += "_" + strconv.Itoa(n+1)
		} else {
			seen[tool.Slug] = 1
		}
		names[tool.Slug] = t.Name
		tk.Tools = append(tk.Tools, tool)
	}
	c.mu.Lock()
	c.names = names
	c.mu.Unlock()
	return tk, nil
}

func convert(toolkit string, t *mcp.Tool) (*tools.Tool, error) {
	in, err := json.Marshal(t.InputSchema)
	if err != nil || t.InputSchema == nil {
		in = []byte(`{"type":"object"}`)
	}
	out := &tools.Tool{
		Slug:        strings.ToUpper(toolkit) + "_" + UpperSnake(t.Name),
		Toolkit:     toolkit,
		Name:        t.Name,
		Description: t.Description,
		InputSchema: in,
	}
	if t.OutputSchema != nil {
		o, err := json.Marshal(t.OutputSchema)
		if err != nil {
			return nil, fmt.Errorf("tool %s: output schema: %w", t.Name, err)
		}
		out.OutputSchema = o
	}
	if a := t.Annotations; a != nil {
		out.Annotations = tools.Annotations{
			ReadOnly:   a.ReadOnlyHint,
			Idempotent: a.IdempotentHint,
			// The MCP defaults: destructive and open-world unless the server says otherwise.
			Destructive: !a.ReadOnlyHint && (a.DestructiveHint == nil || *a.DestructiveHint),
			OpenWorld:   a.OpenWorldHint == nil || *a.OpenWorldHint,
		}
	}
	for tag, on := range map[string]bool{
		tools.TagReadOnly: out.Annotations.ReadOnly, tools.TagDestructive: out.Annotations.Destructive,
		tools.TagIdempotent: out.Annotations.Idempotent, tools.TagOpenWorld: out.Annotations.OpenWorld,
	} {
		if on {
			out.Tags = append(out.Tags, tag)
		}
	}
	sortStrings(out.Tags)
	return out, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// UpperSnake turns a tool name into upper snake case: "get-tiny-image" and "getTinyImage" become GET_TINY_IMAGE.
func UpperSnake(name string) string {
	var b strings.Builder
	prevLower, sep := false, false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if (sep || (prevLower && unicode.IsUpper(r))) && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(unicode.ToUpper(r))
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		default:
			sep, prevLower = true, false
		}
	}
	return b.String()
}

// Execute calls the upstream tool by its original name. Structured content is returned when present, else the
// content list; an upstream isError result becomes an error carrying its text.
func (c *Client) Execute(ctx context.Context, call tools.Call) (tools.Result, error) {
	sess, dead, err := c.session(ctx)
	if err != nil {
		return tools.Result{}, err
	}
	name := call.Tool.Name
	c.mu.Lock()
	if n, ok := c.names[call.Tool.Slug]; ok {
		name = n
	}
	c.mu.Unlock()
	args := call.Arguments
	if args == nil {
		args = map[string]any{} // servers reject a null arguments object
	}
	res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		if ctx.Err() != nil {
			return tools.Result{}, fmt.Errorf("call %s on upstream %s: %w", name, c.cfg.Toolkit, ctx.Err())
		}
		select {
		case <-dead:
			return tools.Result{}, fmt.Errorf("call %s: upstream %s exited during the call (%v); it is restarted on the next call", name, c.cfg.Toolkit, err)
		case <-time.After(100 * time.Millisecond):
		}
		return tools.Result{}, fmt.Errorf("call %s on upstream %s: %w", name, c.cfg.Toolkit, err)
	}
	if res.IsError {
		return tools.Result{}, fmt.Errorf("upstream %s tool %s failed: %s", c.cfg.Toolkit, name, contentText(res.Content))
	}
	if res.StructuredContent != nil {
		return tools.Result{Data: res.StructuredContent}, nil
	}
	data, err := contentData(res.Content)
	if err != nil {
		return tools.Result{}, fmt.Errorf("upstream %s tool %s: decode content: %w", c.cfg.Toolkit, name, err)
	}
	return tools.Result{Data: data}, nil
}

// contentData renders a content list as the JSON values MCP puts on the wire ({"type":"text","text":...}, image
// with data and mimeType, resource with its contents).
func contentData(content []mcp.Content) (any, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	var out []any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

func contentText(content []mcp.Content) string {
	var parts []string
	for _, c := range content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	if len(parts) == 0 {
		return "no error text"
	}
	return strings.Join(parts, "; ")
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("mcpproxy: client is closed")
