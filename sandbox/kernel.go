package sandbox

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed kernel.py
var kernelSource string

// Host serves the kernel's call-backs. The session implements it, so credentials stay on the host side of the
// pipes; the sandbox only ever sees results.
type Host interface {
	// RunTool runs a tool by slug with the session's filter, credentials and execution log.
	RunTool(ctx context.Context, slug string, args map[string]any) (any, error)
	// ProxyExecute makes an authenticated request to the toolkit's own API host and refuses any other host.
	ProxyExecute(ctx context.Context, req ProxyRequest) (any, error)
	// InvokeLLM asks the client's model (MCP sampling), or says why it cannot.
	InvokeLLM(ctx context.Context, prompt string) (string, error)
}

// ProxyRequest is proxy_execute's arguments.
type ProxyRequest struct {
	Method   string            `json:"method"`
	Endpoint string            `json:"endpoint"`
	Toolkit  string            `json:"toolkit"`
	Body     any               `json:"body"`
	Params   map[string]any    `json:"params"`
	Headers  map[string]string `json:"headers"`
}

// RunResult is one cell's outcome (DESIGN §4, COMPOSIO_REMOTE_WORKBENCH).
type RunResult struct {
	// Stdout is what the cell printed; Result the repr of its last expression (empty when None or a statement).
	Stdout string
	Result string
	Stderr string
	// Error is the exception with its traceback, or a note that the kernel was killed.
	Error string
	// Restarted is set when the kernel was killed (timeout, crash) and in-memory state was lost.
	Restarted bool
}

// Kernel is a persistent Python interpreter in the sandbox, started on first use and kept warm. One cell runs at a
// time; call-backs from a cell may run concurrently (a ThreadPoolExecutor calling run_composio_tool).
type Kernel struct {
	sb *Sandbox
	mu sync.Mutex // serialises cells and guards proc
	p  *kernelProc
}

// NewKernel returns a kernel for sb; nothing starts until Run.
func NewKernel(sb *Sandbox) *Kernel { return &Kernel{sb: sb} }

type kernelProc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	wmu     sync.Mutex
	results chan kernelMsg
	exited  chan struct{}
	host    atomic.Pointer[hostCtx]
	osOut   capBuffer // output written to fd 1/2 directly (subprocesses, C code)
	osErr   capBuffer
	seq     int
}

type hostCtx struct {
	ctx  context.Context
	host Host
}

type kernelMsg struct {
	Type   string          `json:"type"`
	ID     string          `json:"id"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Stdout string          `json:"stdout"`
	Result *string         `json:"result"`
	Stderr string          `json:"stderr"`
	Error  *string         `json:"error"`
}

// startTimeout bounds a kernel's start (sandbox and interpreter).
const startTimeout = 30 * time.Second

func (k *Kernel) start(ctx context.Context) (*kernelProc, error) {
	// The process outlives this call, so it is not bound to ctx; Close and timeouts kill it.
	cmd := k.sb.command(context.Background(), []string{pythonPath, "-I", "-c", kernelSource})
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &kernelProc{cmd: cmd, stdin: stdin, results: make(chan kernelMsg, 1), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.osOut, &p.osErr
	cmd.ExtraFiles = []*os.File{pw} // fd 3: the kernel's messages
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start the python kernel in the sandbox: %w", err)
	}
	pw.Close()
	ready := make(chan struct{})
	go func() {
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		once := sync.Once{}
		for sc.Scan() {
			var m kernelMsg
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			switch m.Type {
			case "ready":
				once.Do(func() { close(ready) })
			case "result":
				p.results <- m
			case "call":
				go p.serve(k.sb, m)
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("the python kernel exited at start: %s", p.osErr.String())
	case <-t.C:
		p.kill()
		return nil, fmt.Errorf("the python kernel did not start within %s", startTimeout)
	case <-ctx.Done():
		p.kill()
		return nil, fmt.Errorf("starting the python kernel: %w", ctx.Err())
	}
}

func (p *kernelProc) kill() {
	_ = killGroup(p.cmd)
	<-p.exited
}

func (p *kernelProc) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err = p.stdin.Write(append(b, '\n'))
	return err
}

// serve answers one call-back from kernel code, with the host of the cell that is running.
func (p *kernelProc) serve(sb *Sandbox, m kernelMsg) {
	reply := map[string]any{"type": "reply", "id": m.ID}
	res, err := p.dispatch(sb, m)
	if err != nil {
		reply["error"] = err.Error()
	} else {
		reply["result"] = res
	}
	if err := p.send(reply); err != nil {
		// The kernel is gone; its cell reports that.
		return
	}
}

func (p *kernelProc) dispatch(sb *Sandbox, m kernelMsg) (any, error) {
	hc := p.host.Load()
	if hc == nil || hc.host == nil {
		return nil, errors.New("no cell is running: call-backs work only while a workbench call is in progress")
	}
	ctx := hc.ctx
	switch m.Method {
	case "run_composio_tool":
		var in struct {
			ToolSlug  string         `json:"tool_slug"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal(m.Params, &in); err != nil {
			return nil, fmt.Errorf("run_composio_tool arguments: %w", err)
		}
		return hc.host.RunTool(ctx, in.ToolSlug, in.Arguments)
	case "proxy_execute":
		var in ProxyRequest
		if err := json.Unmarshal(m.Params, &in); err != nil {
			return nil, fmt.Errorf("proxy_execute arguments: %w", err)
		}
		return hc.host.ProxyExecute(ctx, in)
	case "invoke_llm":
		var in struct {
			Prompt string `json:"prompt"`
		}
		if err := json.Unmarshal(m.Params, &in); err != nil {
			return nil, fmt.Errorf("invoke_llm arguments: %w", err)
		}
		return hc.host.InvokeLLM(ctx, in.Prompt)
	case "upload_local_file":
		var in struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(m.Params, &in); err != nil {
			return nil, fmt.Errorf("upload_local_file arguments: %w", err)
		}
		return sb.HostPath(in.Path)
	}
	return nil, fmt.Errorf("unknown call-back %q", m.Method)
}

// Run executes code in the kernel, starting it if needed, bounded by timeoutSeconds (0 or too large: the maximum).
// host serves the cell's call-backs under ctx. On a timeout or crash the kernel is killed and started again, and
// the result says that in-memory state was lost while files remain.
func (k *Kernel) Run(ctx context.Context, code string, timeoutSeconds int, host Host) (*RunResult, error) {
	if err := k.sb.Available(ctx); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p == nil {
		p, err := k.start(ctx)
		if err != nil {
			return nil, err
		}
		k.p = p
	}
	p := k.p
	limit := k.sb.callTimeout(timeoutSeconds)
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	p.host.Store(&hostCtx{ctx: cctx, host: host})
	defer p.host.Store(nil)
	p.seq++
	id := strconv.Itoa(p.seq)
	if err := p.send(map[string]any{"type": "exec", "id": id, "code": code}); err != nil {
		return k.lost(ctx, "the kernel stopped accepting code"), nil
	}
	select {
	case m := <-p.results:
		res := &RunResult{Stdout: m.Stdout, Stderr: m.Stderr}
		if m.Result != nil {
			res.Result = *m.Result
		}
		if m.Error != nil {
			res.Error = *m.Error
		}
		res.Stdout += p.osOut.take()
		res.Stderr += p.osErr.take()
		return res, nil
	case <-p.exited:
		return k.lost(ctx, "the kernel process died (a crash, or a resource limit: memory, processes)"), nil
	case <-cctx.Done():
		why := fmt.Sprintf("the code ran longer than its %s limit", limit)
		if ctx.Err() != nil {
			why = "the call was cancelled"
		}
		return k.lost(ctx, why), nil
	}
}

// lost kills the kernel, starts a fresh one, and reports plainly what was lost. Called with k.mu held.
func (k *Kernel) lost(ctx context.Context, why string) *RunResult {
	old := k.p
	k.p = nil
	old.kill()
	res := &RunResult{Restarted: true, Stdout: old.osOut.take(), Stderr: old.osErr.take()}
	res.Error = fmt.Sprintf("%s: the kernel was killed and restarted, so variables, imports and definitions from "+
		"earlier calls are lost; files in %s remain. Re-run the setup you need, and split long work into shorter calls.", why, FilesMount)
	if p, err := k.start(context.WithoutCancel(ctx)); err == nil {
		k.p = p
	} else {
		res.Error += " (the new kernel did not start: " + err.Error() + "; the next call tries again)"
	}
	return res
}

// Close stops the kernel.
func (k *Kernel) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p != nil {
		k.p.stdin.Close()
		k.p.kill()
		k.p = nil
	}
}
