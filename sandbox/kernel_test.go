package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runCell(t *testing.T, k *Kernel, code string, timeout int) *RunResult {
	t.Helper()
	res, err := k.Run(context.Background(), code, timeout, nil)
	if err != nil {
		t.Fatalf("Run(%q): %v", code, err)
	}
	return res
}

func TestKernelCells(t *testing.T) {
	sb := newTestSandbox(t)
	k := NewKernel(sb)
	defer k.Close()
	tests := []struct {
		name, code                    string
		stdout, result, stderr, error string // error: a substring
	}{
		{name: "assignment", code: "x = 40"},
		{name: "state persists, last expression", code: "print('hi')\nx + 2", stdout: "hi\n", result: "42"},
		{name: "repr of a string", code: "'a' * 3", result: "'aaa'"},
		{name: "None is no result", code: "None"},
		{name: "stderr apart", code: "import sys\nprint('oops', file=sys.stderr)", stderr: "oops\n"},
		{name: "exception with traceback", code: "def f():\n    return 1/0\nf()", error: "ZeroDivisionError"},
		{name: "syntax error", code: "def (", error: "SyntaxError"},
		{name: "SystemExit does not end the kernel", code: "raise SystemExit(3)", error: "SystemExit"},
		{name: "still alive after exit", code: "x", result: "40"},
		{name: "files under /mnt/files", code: "open('/mnt/files/py.txt', 'w').write('from python')", result: "11"},
		{name: "4 GB allocation refused", code: "b = bytearray(4 << 30)", error: "MemoryError"},
		{name: "stdin is not the protocol", code: "import sys\nsys.stdin.read()", result: "''"},
		{name: "helpers need a host", code: "run_composio_tool('X', {})", result: "(None, 'no cell is running: call-backs work only while a workbench call is in progress')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCell(t, k, tt.code, 20)
			if r.Stdout != tt.stdout || r.Result != tt.result || r.Stderr != tt.stderr ||
				(tt.error == "") != (r.Error == "") || !strings.Contains(r.Error, tt.error) {
				t.Errorf("got stdout %q result %q stderr %q error %q; want %q %q %q %q", r.Stdout, r.Result, r.Stderr, r.Error,
					tt.stdout, tt.result, tt.stderr, tt.error)
			}
			if strings.Contains(r.Error, "_run_cell") {
				t.Errorf("traceback shows the kernel's frames: %s", r.Error)
			}
		})
	}
	// Files written by python are visible to bash and on the host.
	if r := bash(t, sb, "cat py.txt", 10); r.Stdout != "from python" {
		t.Errorf("bash sees %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(sb.FilesDir(), "py.txt")); err != nil || string(b) != "from python" {
		t.Errorf("host sees %q, %v", b, err)
	}
}

func TestKernelTimeoutRestarts(t *testing.T) {
	sb := newTestSandbox(t)
	k := NewKernel(sb)
	defer k.Close()
	runCell(t, k, "x = 1\nopen('kept.txt', 'w').write('yes')", 10)
	r := runCell(t, k, "while True: pass", 1)
	if !r.Restarted || !strings.Contains(r.Error, "lost") || !strings.Contains(r.Error, "files in /mnt/files remain") {
		t.Fatalf("timeout result: %+v", r)
	}
	r = runCell(t, k, "import os\n('x' in globals(), open('kept.txt').read())", 10)
	if r.Result != "(False, 'yes')" || r.Error != "" {
		t.Errorf("after the restart: %+v", r)
	}
}

// TestKernelDiesWithParent kills a process that started a kernel and checks nothing of the sandbox survives it.
func TestKernelDiesWithParent(t *testing.T) {
	if os.Getenv("SANDBOX_TEST_CHILD") != "" {
		sb := New(Config{FilesDir: os.Getenv("SANDBOX_TEST_CHILD")})
		k := NewKernel(sb)
		code := fmt.Sprintf("import subprocess\nsubprocess.Popen(['sleep', %q])", os.Getenv("SANDBOX_TEST_MARKER"))
		if _, err := k.Run(context.Background(), code, 10, nil); err != nil {
			fmt.Println("error:", err)
		}
		fmt.Println("started")
		time.Sleep(time.Minute)
		return
	}
	newTestSandbox(t)
	// Markers unique to this run: the sleep's argument (a process inside the sandbox) and the files dir (in
	// bwrap's command line), so kernels of tests running in parallel do not count.
	marker := fmt.Sprintf("300.%d", time.Now().UnixNano()%1000000)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelDiesWithParent$")
	cmd.Env = append(os.Environ(), "SANDBOX_TEST_CHILD="+dir, "SANDBOX_TEST_MARKER="+marker)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "started") {
		t.Fatalf("child: %q", buf[:n])
	}
	left := func() int { return processesWith("sleep\x00"+marker) + processesWith(dir) }
	deadline := time.Now().Add(5 * time.Second)
	for processesWith("sleep\x00"+marker) == 0 || processesWith(dir) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox's processes were not found while the parent runs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for left() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sandbox processes outlived their parent", left())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
