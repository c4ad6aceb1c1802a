//go:build unix

package stdiojson

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// helperEnv makes the test binary act as a child process: "server" serves MCP on its stdin and stdout with this
// package's StdioTransport; "stubborn" ignores stdin and SIGTERM and starts a grandchild in its process group,
// writing the grandchild's pid to the file named by helperPIDEnv.
const (
	helperEnv    = "STDIOJSON_TEST_HELPER"
	helperPIDEnv = "STDIOJSON_TEST_PIDFILE"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "server":
		srv := mcp.NewServer(&mcp.Implementation{Name: "helper", Version: "1"}, nil)
		mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
			S string `json:"s"`
		}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.S}}}, nil, nil
		})
		if err := srv.Run(context.Background(), &StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "helper server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		sleep := exec.Command("sleep", "300")
		if err := sleep.Start(); err != nil {
			os.Exit(3)
		}
		_ = os.WriteFile(os.Getenv(helperPIDEnv), []byte(strconv.Itoa(sleep.Process.Pid)), 0o600)
		select {}
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, kind string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + kind}, extraEnv...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// TestCommandTransport: go-sdk's client calls a child serving on StdioTransport over CommandTransport; Close
// closes the child's stdin and the child exits by itself.
func TestCommandTransport(t *testing.T) {
	cmd := helper(t, "server")
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &CommandTransport{Command: cmd, TerminateDuration: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		msg := fmt.Sprintf("message %d %s", i, strings.Repeat("ü", i*1000))
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"s": msg}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Content[0].(*mcp.TextContent).Text; got != msg {
			t.Fatalf("echo %d returned %q", i, got[:min(len(got), 40)])
		}
	}
	start := time.Now()
	if err := cs.Close(); err != nil {
		t.Fatalf("close: %v (the child should exit when its stdin closes)", err)
	}
	if !cmd.ProcessState.Exited() || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("child state %v, want a clean exit", cmd.ProcessState)
	}
	// The child exited on stdin close, long before the 10 s TerminateDuration; no timing assertion beyond that.
	if d := time.Since(start); d >= 10*time.Second {
		t.Fatalf("close waited %v: the child needed a signal", d)
	}
}

// TestCommandTransportStubborn: a child that ignores stdin closing and SIGTERM is killed, with its whole process
// group, and nothing of it remains.
func TestCommandTransportStubborn(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the shutdown steps")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := helper(t, "stubborn", helperPIDEnv+"="+pidFile)
	tr := &CommandTransport{Command: cmd, TerminateDuration: 200 * time.Millisecond}
	conn, err := tr.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	for deadline := time.Now().Add(30 * time.Second); grandchild == 0; {
		if data, err := os.ReadFile(pidFile); err == nil && len(data) > 0 {
			grandchild, _ = strconv.Atoi(string(data))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stubborn child did not start its grandchild")
		}
		time.Sleep(10 * time.Millisecond)
	}
	readDone := make(chan error, 1)
	go func() {
		_, err := conn.Read(context.Background())
		readDone <- err
	}()
	err = conn.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("close returned %v, want the child killed", err)
	}
	if err := <-readDone; err == nil {
		t.Fatal("Read returned a message after Close")
	}
	for deadline := time.Now().Add(10 * time.Second); alive(grandchild); {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d is still alive after Close: the process group was not killed", grandchild)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running process (a zombie waiting for its reaper counts as gone).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state follows the parenthesized command name.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
