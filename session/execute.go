package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/toolmux/toolmux/redact"
	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// ExecCall is one tool call of a multi-execute.
type ExecCall struct {
	ToolSlug  string         `json:"tool_slug"`
	Arguments map[string]any `json:"arguments"`
}

// ExecRequest is a multi-execute.
type ExecRequest struct {
	Calls []ExecCall
	// SyncToWorkbench writes every response to the files dir, not only the large ones.
	SyncToWorkbench bool
	// Memory facts to store in the session.
	Memory map[string][]string
}

// Response is the envelope of one call's outcome.
type Response struct {
	Successful bool    `json:"successful"`
	Data       any     `json:"data"`
	Error      *string `json:"error"`
}

// ExecResult is one call's outcome, in input order.
type ExecResult struct {
	Index    int      `json:"index"`
	ToolSlug string   `json:"tool_slug"`
	Response Response `json:"response"`
	FilePath string   `json:"file_path,omitempty"`
}

// ExecOutput is a multi-execute's outcome.
type ExecOutput struct {
	Results    []ExecResult `json:"results"`
	ErrorCount int          `json:"error_count"`
}

// Progress is told each time a call finishes.
type Progress func(done, total int, message string)

// MaxCalls bounds one multi-execute.
const MaxCalls = 50

// WorkbenchFilesDir is where the session's files dir appears inside the workbench sandbox.
const WorkbenchFilesDir = "/mnt/files"

// previewChars is how much of an offloaded response is returned inline.
const previewChars = 2000

// Execute runs the calls concurrently (at most execution.concurrency at once, each under execution.timeout), and
// returns their outcomes in input order. A failing call never fails its siblings. Large responses, or all of them
// with SyncToWorkbench, are written to outputs/ in the files dir and returned as a preview plus file_path.
func (s *Session) Execute(ctx context.Context, req ExecRequest, progress Progress) (*ExecOutput, error) {
	if len(req.Calls) == 0 || len(req.Calls) > MaxCalls {
		return nil, fmt.Errorf("tools: give 1 to %d calls, got %d", MaxCalls, len(req.Calls))
	}
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if err := s.Remember(ctx, req.Memory); err != nil {
		return nil, fmt.Errorf("store memory: %w", err)
	}
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	out := &ExecOutput{Results: make([]ExecResult, len(req.Calls))}
	var mu sync.Mutex
	done := 0
	finished := func(c ExecCall, res ExecResult) {
		if progress == nil {
			return
		}
		mu.Lock()
		done++
		n := done
		mu.Unlock()
		state := "ok"
		if !res.Response.Successful {
			state = "error"
		}
		progress(n, len(req.Calls), fmt.Sprintf("%s finished (%s)", c.ToolSlug, state))
	}
	if len(req.Calls) == 1 {
		// One call (the common case) runs on the caller's goroutine: no goroutine to start, no stack to grow.
		c := req.Calls[0]
		if err := ctx.Err(); err != nil {
			out.Results[0] = ExecResult{Index: 0, ToolSlug: c.ToolSlug, Response: failure(fmt.Errorf("cancelled before it started: %w", err))}
		} else {
			out.Results[0] = s.executeOne(ctx, cat, 0, c, req.SyncToWorkbench)
			finished(c, out.Results[0])
		}
	} else {
		sem := make(chan struct{}, max(1, s.exec.Concurrency))
		var wg sync.WaitGroup
		for i, c := range req.Calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					out.Results[i] = ExecResult{Index: i, ToolSlug: c.ToolSlug, Response: failure(fmt.Errorf("cancelled before it started: %w", ctx.Err()))}
					return
				}
				res := s.executeOne(ctx, cat, i, c, req.SyncToWorkbench)
				<-sem
				out.Results[i] = res
				finished(c, res)
			}()
		}
		wg.Wait()
	}
	for _, r := range out.Results {
		if !r.Response.Successful {
			out.ErrorCount++
		}
	}
	return out, nil
}

func (s *Session) executeOne(ctx context.Context, cat *Catalog, i int, c ExecCall, sync bool) ExecResult {
	res := ExecResult{Index: i, ToolSlug: c.ToolSlug}
	start := time.Now()
	result, tool, err := cat.Run(ctx, c.ToolSlug, c.Arguments, s.filter, time.Duration(s.exec.TimeoutSeconds)*time.Second)
	if tool != nil {
		res.ToolSlug = tool.Slug
	}
	size := 0
	if err != nil {
		res.Response = failure(err)
	} else {
		res.Response = Response{Successful: true, Data: result.Data}
		text, merr := json.Marshal(result.Data)
		if merr != nil {
			res.Response = failure(fmt.Errorf("response is not JSON-encodable: %w", merr))
		} else {
			size = len(text)
			// A response has at most as many characters as bytes: count them only when the bytes exceed the limit.
			if sync || (size > s.exec.OffloadThresholdChars && utf8.RuneCount(text) > s.exec.OffloadThresholdChars) {
				res.Response.Data, res.FilePath, err = s.offload(res.ToolSlug, text)
				if err != nil {
					res.Response = failure(fmt.Errorf("response of %d bytes could not be saved to the files dir: %w", len(text), err))
				}
			}
		}
	}
	if tool != nil {
		RecordExecution(ctx, s.db, s.log, store.Execution{
			SessionID: s.id, UserID: s.user, ToolSlug: tool.Slug, Toolkit: tool.Toolkit,
			StartedAt: start, Duration: time.Since(start),
		}, c.Arguments, err, size)
	}
	return res
}

// Run executes one tool by slug after checking it exists, passes filter and has valid arguments; the call is bounded
// by timeout. It is the path shared by the session and the CLI's direct access. The returned tool is nil when slug
// names no tool.
func (c *Catalog) Run(ctx context.Context, slug string, args map[string]any, filter tools.Filter, timeout time.Duration) (tools.Result, *tools.Tool, error) {
	t := c.Tool(slug)
	if t == nil {
		msg := fmt.Sprintf("no tool %q", slug)
		if sug := c.Suggest(slug, filter.Allows, 3); len(sug) > 0 {
			msg += "; did you mean " + strings.Join(sug, ", ") + "?"
		}
		return tools.Result{}, nil, errors.New(msg + " Find tools with " + c.metaTool("SEARCH_TOOLS") + " (or `toolmux tools search`).")
	}
	if reason := filter.Reason(t); reason != "" {
		return tools.Result{}, t, fmt.Errorf("%s is not available in this session: %s", t.Slug, reason)
	}
	if args == nil {
		args = map[string]any{}
	}
	if err := c.Validate(t, args); err != nil {
		return tools.Result{}, t, fmt.Errorf("%w; nothing was sent. Check the schema with %s", err, c.metaTool("GET_TOOL_SCHEMAS"))
	}
	ex := c.Executor(t.Toolkit)
	if ex == nil {
		return tools.Result{}, t, fmt.Errorf("toolkit %q has no executor", t.Toolkit)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	r, err := ex.Execute(ctx, tools.Call{Tool: t, Arguments: args})
	if err != nil && errors.Is(err, context.DeadlineExceeded) && timeout > 0 && !strings.Contains(err.Error(), "timed out") {
		err = fmt.Errorf("%s timed out after %s; the session is still usable, retry or narrow the request: %w", t.Slug, timeout, err)
	}
	return r, t, err
}

// RecordExecution appends one call to the execution log, with secret-looking arguments masked. The row is written
// in the background with others (store.DB.LogExecution): Session.Close and closing the DB wait for it, and a reader
// of the log in this process sees it at once. A log failure is logged, never returned: it must not fail the call.
func RecordExecution(ctx context.Context, db *store.DB, log interface {
	Warn(msg string, args ...any)
}, e store.Execution, args map[string]any, callErr error, responseBytes int) {
	if db == nil {
		return
	}
	e.Status = store.StatusOK
	if callErr != nil {
		e.Status = store.StatusError
		e.Error = redact.Known.String(callErr.Error())
	}
	e.ResponseBytes = responseBytes
	if raw, err := json.Marshal(redact.Arguments(args)); err == nil {
		e.Arguments = raw
	}
	tool := e.ToolSlug
	onError := func(err error) { log.Warn("execution log write failed", "tool", tool, "err", err) }
	if err := db.LogExecution(context.WithoutCancel(ctx), e, onError); err != nil {
		onError(err)
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// offload writes a response to outputs/<slug>-<n>.json and returns a preview and the path the workbench sees.
func (s *Session) offload(slug string, text []byte) (any, string, error) {
	n := s.outputSeq.Add(1)
	name := fmt.Sprintf("%s-%d.json", unsafeFileChars.ReplaceAllString(slug, "_"), n)
	hostPath := filepath.Join(s.filesDir, "outputs", name)
	if err := os.WriteFile(hostPath, text, 0o600); err != nil {
		return nil, "", err
	}
	if err := s.shareWithWorkbench(hostPath); err != nil {
		return nil, "", err
	}
	preview := string(text)
	if utf8.RuneCountInString(preview) > previewChars {
		preview = string([]rune(preview)[:previewChars]) + "…"
	}
	wbPath := WorkbenchFilesDir + "/outputs/" + name
	return map[string]any{
		"preview":    preview,
		"size_chars": utf8.RuneCount(text),
		"note":       fmt.Sprintf("The full response is in %s (on this machine: %s). Read it from code instead of asking for it inline.", wbPath, hostPath),
	}, wbPath, nil
}

func failure(err error) Response {
	msg := redact.Known.String(err.Error())
	return Response{Successful: false, Data: map[string]any{}, Error: &msg}
}
