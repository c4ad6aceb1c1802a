package mcpproxy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/internal/stdiojson"
)

// resolveEnvRef is the default Config.Resolve: "env:NAME" is the variable NAME of toolmux's environment.
func resolveEnvRef(_ context.Context, ref string) (string, error) {
	name, ok := strings.CutPrefix(ref, "env:")
	if !ok {
		return "", fmt.Errorf("reference %q needs the secret store, which this upstream client was not given", ref)
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is not set; export it before starting toolmux or change the reference %q", name, ref)
	}
	return v, nil
}

// resolve returns v, or what it references when it is an "env:NAME" or "keyring:NAME" reference.
func (c *Client) resolve(ctx context.Context, where, v string) (string, error) {
	if !strings.HasPrefix(v, "env:") && !strings.HasPrefix(v, "keyring:") {
		return v, nil
	}
	out, err := c.cfg.Resolve(ctx, v)
	if err != nil {
		return "", fmt.Errorf("upstream %s: %s: %w", c.cfg.Toolkit, where, err)
	}
	return out, nil
}

// transport builds the transport of one start: a child process for a command, a streamable HTTP client for a URL.
// References in env values and header values are resolved here, at each start, so a rotated secret is picked up
// by the next restart.
func (c *Client) transport(ctx context.Context) (mcp.Transport, *exec.Cmd, error) {
	if c.cfg.URL != "" {
		headers := http.Header{}
		for k, v := range c.cfg.Headers {
			val, err := c.resolve(ctx, "header "+k, v)
			if err != nil {
				return nil, nil, err
			}
			headers.Set(k, val)
		}
		hc := &http.Client{Transport: &headerTransport{base: c.cfg.HTTPTransport, headers: headers}}
		return &mcp.StreamableClientTransport{Endpoint: c.cfg.URL, HTTPClient: hc, MaxRetries: 2}, nil, nil
	}
	env := make([]string, 0, len(c.cfg.Env))
	for _, kv := range c.cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		val, err := c.resolve(ctx, "env "+k, v)
		if err != nil {
			return nil, nil, err
		}
		env = append(env, k+"="+val)
	}
	cmd := exec.Command(c.cfg.Command, c.cfg.Args...)
	cmd.Env = env
	cmd.Dir = c.cfg.Dir
	cmd.Stderr = &tailBuffer{max: 2048}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return &stdiojson.CommandTransport{Command: cmd, TerminateDuration: c.cfg.StopGrace}, cmd, nil
}

// headerTransport adds the configured headers to every request to an HTTP upstream.
type headerTransport struct {
	base    http.RoundTripper
	headers http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.headers {
		req.Header[k] = vs
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
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

// tailBuffer keeps the last max bytes written to it: the end of an upstream's stderr, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = b.buf[len(b.buf)-b.max:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(strings.ToValidUTF8(string(b.buf), "?"))
}

// stderrTail quotes the end of the child's stderr for an error message; "" when it wrote nothing.
func stderrTail(cmd *exec.Cmd) string {
	if cmd == nil {
		return ""
	}
	// cmd.ProcessState is written by the transport's own Wait, unsynchronized with us: only stderr is read here.
	if b, ok := cmd.Stderr.(*tailBuffer); ok {
		if tail := b.String(); tail != "" {
			return " (its stderr ends: " + strconv.Quote(tail) + ")"
		}
	}
	return ""
}
