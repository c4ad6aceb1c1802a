package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/sandbox"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/openapi"
)

// workbench is the session's sandbox and Python kernel, created on first use.
type workbench struct {
	cfg    config.Workbench
	once   sync.Once
	sb     *sandbox.Sandbox
	kernel *sandbox.Kernel
}

// LLM answers invoke_llm from workbench code; the server provides one backed by MCP sampling when the client
// supports it. A nil LLM makes invoke_llm raise a clear error.
type LLM func(ctx context.Context, prompt string) (string, error)

// Sandbox returns the session's workbench sandbox (created on first use, started on first call).
func (s *Session) Sandbox() *sandbox.Sandbox {
	s.wb.once.Do(func() {
		c := s.wb.cfg
		lim := sandbox.DefaultLimits
		if c.MemoryMB > 0 {
			lim.AddressSpace = int64(c.MemoryMB) << 20
		}
		if c.MaxFileMB > 0 {
			lim.FileSize = int64(c.MaxFileMB) << 20
		}
		if c.MaxOpenFiles > 0 {
			lim.OpenFiles = c.MaxOpenFiles
		}
		if c.MaxProcesses > 0 {
			lim.Processes = c.MaxProcesses
		}
		s.wb.sb = sandbox.New(sandbox.Config{
			Mode: sandbox.Mode(c.Sandbox), FilesDir: s.filesDir, Limits: lim,
			MaxTimeout: time.Duration(c.TimeoutSeconds) * time.Second,
		})
		s.wb.kernel = sandbox.NewKernel(s.wb.sb)
		if s.wb.sb.Mode() == sandbox.ModeNone {
			s.log.Warn("workbench.sandbox = \"none\": workbench code runs without isolation")
		}
	})
	return s.wb.sb
}

// WorkbenchAvailable says why the workbench cannot run code here (no bubblewrap, no user namespaces), or nil.
func (s *Session) WorkbenchAvailable(ctx context.Context) error {
	if err := s.Sandbox().Available(ctx); err != nil {
		return fmt.Errorf("the workbench is unavailable: %w", err)
	}
	return nil
}

// RunCode runs Python in the session's persistent kernel. Its call-backs run tools through this session (same
// filter, credentials and execution log); llm serves invoke_llm.
func (s *Session) RunCode(ctx context.Context, code string, timeoutSeconds int, llm LLM) (*sandbox.RunResult, error) {
	if err := s.WorkbenchAvailable(ctx); err != nil {
		return nil, err
	}
	return s.wb.kernel.Run(ctx, code, timeoutSeconds, workbenchHost{s: s, llm: llm})
}

// RunBash runs one bash command in the session's sandbox.
func (s *Session) RunBash(ctx context.Context, command string, timeoutSeconds int) (*sandbox.BashResult, error) {
	if err := s.WorkbenchAvailable(ctx); err != nil {
		return nil, err
	}
	return s.wb.sb.Bash(ctx, command, timeoutSeconds)
}

// shareWithWorkbench makes a file the session wrote into the files dir readable by workbench code.
func (s *Session) shareWithWorkbench(path string) error {
	if err := s.Sandbox().Share(path); err != nil {
		return fmt.Errorf("share %s with the workbench: %w", path, err)
	}
	return nil
}

func (s *Session) closeWorkbench() {
	if s.wb.kernel != nil {
		s.wb.kernel.Close()
	}
}

// workbenchHost serves the kernel's call-backs for one workbench call.
type workbenchHost struct {
	s   *Session
	llm LLM
}

// RunTool implements sandbox.Host: the multi-execute path for one call, without offloading (the code wants the data).
func (h workbenchHost) RunTool(ctx context.Context, slug string, args map[string]any) (any, error) {
	s := h.s
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, tool, err := cat.Run(ctx, slug, args, s.filter, time.Duration(s.exec.TimeoutSeconds)*time.Second)
	if tool != nil {
		RecordExecution(ctx, s.db, s.log, store.Execution{
			SessionID: s.id, UserID: s.user, ToolSlug: tool.Slug, Toolkit: tool.Toolkit, StartedAt: start, Duration: time.Since(start),
		}, args, err, 0)
	}
	if err != nil {
		return nil, errors.New(failure(err).errorText())
	}
	return res.Data, nil
}

func (r Response) errorText() string {
	if r.Error == nil {
		return ""
	}
	return *r.Error
}

// InvokeLLM implements sandbox.Host.
func (h workbenchHost) InvokeLLM(ctx context.Context, prompt string) (string, error) {
	if h.llm == nil {
		return "", errors.New("invoke_llm is not available: this MCP client does not support sampling (sampling/createMessage); do the reasoning in your own reply instead")
	}
	return h.llm(ctx, prompt)
}

// ProxyExecute implements sandbox.Host: an authenticated request through the toolkit's own executor, so it goes
// only to the toolkit's API host, with its credentials, size caps and redirect policy. The toolkit must have at
// least one tool the session's filter allows.
func (h workbenchHost) ProxyExecute(ctx context.Context, req sandbox.ProxyRequest) (any, error) {
	s := h.s
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	tk := cat.Toolkit(req.Toolkit)
	if tk == nil {
		return nil, fmt.Errorf("proxy_execute: no toolkit %q; use a toolkit slug from search results", req.Toolkit)
	}
	allowed := false
	for _, t := range tk.Tools {
		if s.filter.Allows(t) {
			allowed = true
			break
		}
	}
	if !allowed {
		return nil, fmt.Errorf("proxy_execute: toolkit %s is outside this session's filter", tk.Slug)
	}
	ex, ok := cat.Executor(tk.Slug).(*openapi.HTTPExecutor)
	if !ok {
		return nil, fmt.Errorf("proxy_execute: toolkit %s is not an HTTP API", tk.Slug)
	}
	tool, args, err := proxyCall(tk.Slug, ex.BaseURL, req)
	if err != nil {
		return nil, fmt.Errorf("proxy_execute: %w", err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(max(s.exec.TimeoutSeconds, 1))*time.Second)
	defer cancel()
	res, err := ex.Execute(ctx, tools.Call{Tool: tool, Arguments: args})
	RecordExecution(ctx, s.db, s.log, store.Execution{
		SessionID: s.id, UserID: s.user, ToolSlug: tool.Slug, Toolkit: tk.Slug, StartedAt: start, Duration: time.Since(start),
	}, map[string]any{"method": req.Method, "endpoint": req.Endpoint}, err, 0)
	if err != nil {
		return nil, errors.New(failure(err).errorText())
	}
	return res.Data, nil
}

// proxyCall turns a proxy request into a one-off tool bound to the toolkit's base URL: the endpoint is a path
// under it, or an absolute URL on the same scheme and host (anything else is refused).
func proxyCall(toolkit, baseURL string, req sandbox.ProxyRequest) (*tools.Tool, map[string]any, error) {
	base, err := url.Parse(baseURL)
	if err != nil || base.Host == "" {
		return nil, nil, fmt.Errorf("toolkit %s has no usable base URL %q", toolkit, baseURL)
	}
	ep, err := url.Parse(req.Endpoint)
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint %q: %w", req.Endpoint, err)
	}
	path := ep.Path
	if ep.IsAbs() || ep.Host != "" {
		if !strings.EqualFold(ep.Scheme, base.Scheme) || !strings.EqualFold(ep.Host, base.Host) {
			return nil, nil, fmt.Errorf("%s is not %s's API host (%s://%s); proxy_execute only calls the toolkit's own API", ep.Scheme+"://"+ep.Host, toolkit, base.Scheme, base.Host)
		}
		prefix := strings.TrimRight(base.Path, "/")
		if prefix != "" && !strings.HasPrefix(path, prefix+"/") {
			return nil, nil, fmt.Errorf("%s is outside the toolkit's base URL %s", req.Endpoint, baseURL)
		}
		path = strings.TrimPrefix(path, prefix)
	}
	path = strings.TrimLeft(path, "/")
	method := strings.ToUpper(strings.TrimSpace(req.Method))
	if method == "" {
		method = "GET"
	}
	b := &tools.HTTPBinding{Method: method, Path: "/{path}",
		Params: []tools.HTTPParam{{Arg: "path", Name: "path", In: tools.InPath, Required: true, MultiSegment: true}}}
	args := map[string]any{"path": path}
	query := ep.Query()
	for k, v := range req.Params {
		query.Set(k, fmt.Sprint(v))
	}
	for k := range query {
		arg := "query_" + k
		b.Params = append(b.Params, tools.HTTPParam{Arg: arg, Name: k, In: tools.InQuery})
		args[arg] = query.Get(k)
	}
	for k, v := range req.Headers {
		arg := "header_" + k
		b.Params = append(b.Params, tools.HTTPParam{Arg: arg, Name: k, In: tools.InHeader})
		args[arg] = v
	}
	if req.Body != nil {
		b.Body = &tools.HTTPBody{ContentType: "application/json", Arg: "request_body"}
		args["request_body"] = req.Body
	}
	slug := strings.ToUpper(toolkit) + "_PROXY_EXECUTE"
	return &tools.Tool{Slug: slug, Name: slug, Toolkit: toolkit, HTTP: b}, args, nil
}
