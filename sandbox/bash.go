package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

const (
	bashPath   = "/usr/bin/bash"
	pythonPath = "/usr/bin/python3"
	// InlineChars is how much of an output is returned inline; the full text goes to a file.
	InlineChars = 20000
	// captureBytes bounds what the host keeps of one stream, so a runaway command cannot exhaust host memory.
	captureBytes = 64 << 20
)

// BashResult is the outcome of one command, with the field names of DESIGN §4.
type BashResult struct {
	Stdout         string `json:"stdout"`
	StdoutLines    int    `json:"stdoutLines"`
	StdoutFilePath string `json:"stdout_file_path,omitempty"`
	Stderr         string `json:"stderr"`
	StderrLines    int    `json:"stderrLines"`
	StderrFilePath string `json:"stderr_file_path,omitempty"`
	ExitCode       int    `json:"exit_code"`
	// Warning is set when the command ran without isolation.
	Warning string `json:"warning,omitempty"`
}

var outputSeq atomic.Int64

// Bash runs one command with /usr/bin/bash -c in the sandbox, bounded by timeoutSeconds (0 or too large: the
// maximum). A command killed at its time limit has exit code -1 and says so in stderr. Outputs over InlineChars are
// cut inline and written in full to outputs/ in the files dir.
func (s *Sandbox) Bash(ctx context.Context, command string, timeoutSeconds int) (*BashResult, error) {
	if err := s.Available(ctx); err != nil {
		return nil, err
	}
	limit := s.callTimeout(timeoutSeconds)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := s.command(ctx, []string{bashPath, "-c", command})
	var stdout, stderr capBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := &BashResult{}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.ExitCode = -1
		fmt.Fprintf(&stderr, "\n[killed: the command ran longer than its %s limit; files it wrote remain in %s]", limit, FilesMount)
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("run bash in the sandbox: %w", err)
	}
	var werr error
	res.Stdout, res.StdoutLines, res.StdoutFilePath, werr = s.Cap(stdout.String(), "bash-stdout")
	if werr != nil {
		return nil, werr
	}
	res.Stderr, res.StderrLines, res.StderrFilePath, werr = s.Cap(stderr.String(), "bash-stderr")
	if werr != nil {
		return nil, werr
	}
	if s.cfg.Mode == ModeNone {
		res.Warning = UnsandboxedWarning
	}
	return res, nil
}

// Cap returns text cut to InlineChars, its line count, and, when it was cut, the sandbox path of a file
// outputs/KIND-<time>-<n>.txt holding all of it.
func (s *Sandbox) Cap(text, kind string) (inline string, lines int, path string, err error) {
	lines = strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		lines++
	}
	if utf8.RuneCountInString(text) <= InlineChars {
		return text, lines, "", nil
	}
	name := fmt.Sprintf("%s-%d-%d.txt", kind, time.Now().Unix(), outputSeq.Add(1))
	path, err = s.WriteOutput(name, []byte(text))
	if err != nil {
		return "", 0, "", err
	}
	inline = string([]rune(text)[:InlineChars]) + fmt.Sprintf("\n… [cut at %d characters; all %d lines are in %s]", InlineChars, lines, path)
	return inline, lines, path, nil
}

// WriteOutput writes data to outputs/NAME in the files dir and returns the path code in the sandbox uses.
func (s *Sandbox) WriteOutput(name string, data []byte) (string, error) {
	dir := filepath.Join(s.cfg.FilesDir, "outputs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	host := filepath.Join(dir, name)
	if err := os.WriteFile(host, data, 0o600); err != nil {
		return "", fmt.Errorf("save output to the files dir: %w", err)
	}
	if err := s.Share(dir); err != nil {
		return "", fmt.Errorf("share %s with the sandbox: %w", host, err)
	}
	return s.SandboxPath(filepath.Join("outputs", name)), nil
}

// SandboxPath is where a path relative to the files dir appears to sandboxed code.
func (s *Sandbox) SandboxPath(rel string) string {
	if s.cfg.Mode == ModeNone {
		return filepath.Join(s.cfg.FilesDir, rel)
	}
	return FilesMount + "/" + filepath.ToSlash(rel)
}

// HostPath maps a path seen inside the sandbox (absolute under FilesMount, or relative to it) to the host, refusing
// anything outside the files dir.
func (s *Sandbox) HostPath(p string) (string, error) {
	rel := p
	if filepath.IsAbs(p) {
		base := FilesMount
		if s.cfg.Mode == ModeNone {
			base = s.cfg.FilesDir
		}
		r, err := filepath.Rel(base, filepath.Clean(p))
		if err != nil {
			return "", fmt.Errorf("%s is not under %s", p, base)
		}
		rel = r
	}
	rel = filepath.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is outside %s: only files in the files dir can be shared", p, FilesMount)
	}
	host := filepath.Join(s.cfg.FilesDir, rel)
	if real, err := filepath.EvalSymlinks(host); err == nil {
		root, _ := filepath.EvalSymlinks(s.cfg.FilesDir)
		if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
			return "", fmt.Errorf("%s resolves outside %s", p, FilesMount)
		}
		host = real
	} else {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return host, nil
}

// capBuffer keeps the first captureBytes written and drops the rest, so output volume cannot exhaust the host.
type capBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := captureBytes - b.buf.Len()
	if room < len(p) {
		b.dropped += int64(len(p) - max(room, 0))
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *capBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if b.dropped > 0 {
		s += fmt.Sprintf("\n[%d more bytes were discarded]", b.dropped)
	}
	return s
}

// take returns what was written so far and empties the buffer.
func (b *capBuffer) take() string {
	s := b.String()
	b.mu.Lock()
	b.buf.Reset()
	b.dropped = 0
	b.mu.Unlock()
	return s
}
