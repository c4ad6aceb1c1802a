package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestSandbox returns a bwrap sandbox over a fresh files dir. It skips where bwrap cannot run, except under CI,
// which installs bubblewrap and must run these tests for real.
func newTestSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb := New(Config{FilesDir: t.TempDir(), MaxTimeout: 20 * time.Second})
	if err := sb.Available(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the sandbox must work under CI: %v", err)
		}
		t.Skipf("no sandbox here: %v", err)
	}
	return sb
}

func bash(t *testing.T, sb *Sandbox, cmd string, timeout int) *BashResult {
	t.Helper()
	res, err := sb.Bash(context.Background(), cmd, timeout)
	if err != nil {
		t.Fatalf("Bash(%q): %v", cmd, err)
	}
	return res
}

func TestBashIsolation(t *testing.T) {
	sb := newTestSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	secretDir := t.TempDir() // a host directory outside the binds
	if err := os.WriteFile(filepath.Join(secretDir, "secret.txt"), []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOOLMUX_TEST_SECRET", "hunter2")
	home, _ := os.UserHomeDir()

	tests := []struct {
		name, cmd string
		// ok reports whether the escape failed as it must.
		ok func(r *BashResult) bool
	}{
		{"loopback listener unreachable", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d && echo CONNECTED", port),
			func(r *BashResult) bool { return r.ExitCode != 0 && !strings.Contains(r.Stdout, "CONNECTED") }},
		{"no DNS or external network", "getent hosts example.com || exec 3<>/dev/tcp/1.1.1.1/53 && echo CONNECTED",
			func(r *BashResult) bool { return r.ExitCode != 0 && !strings.Contains(r.Stdout, "CONNECTED") }},
		{"host directory invisible", "cat " + filepath.Join(secretDir, "secret.txt"),
			func(r *BashResult) bool { return r.ExitCode != 0 && !strings.Contains(r.Stdout, "s3cret") }},
		{"home invisible", "ls -A " + home + " /root 2>&1; test ! -e " + home + " && test ! -e /root",
			func(r *BashResult) bool { return r.ExitCode == 0 }},
		{"/usr read-only", "touch /usr/escape",
			func(r *BashResult) bool { return r.ExitCode != 0 }},
		{"/etc read-only", "echo x >> /etc/hosts",
			func(r *BashResult) bool { return r.ExitCode != 0 }},
		{"non-root uid", "id -u",
			func(r *BashResult) bool { return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) != "0" }},
		{"environment cleared", "env",
			func(r *BashResult) bool {
				return r.ExitCode == 0 && !strings.Contains(r.Stdout, "hunter2") && strings.Contains(r.Stdout, "HOME=/mnt/files")
			}},
		{"working directory is /mnt/files", "pwd",
			func(r *BashResult) bool { return strings.TrimSpace(r.Stdout) == FilesMount }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bash(t, sb, tt.cmd, 10)
			if !tt.ok(r) {
				t.Errorf("escape not prevented: %q → exit %d, stdout %q, stderr %q", tt.cmd, r.ExitCode, r.Stdout, r.Stderr)
			}
		})
	}
}

func TestBashFilesShared(t *testing.T) {
	sb := newTestSandbox(t)
	r := bash(t, sb, "mkdir -p out && echo hello > out/a.txt && cat out/a.txt", 10)
	if r.ExitCode != 0 || r.Stdout != "hello\n" || r.StdoutLines != 1 {
		t.Fatalf("got %+v", r)
	}
	data, err := os.ReadFile(filepath.Join(sb.FilesDir(), "out", "a.txt"))
	if err != nil || string(data) != "hello\n" {
		t.Fatalf("file on the host: %q, %v", data, err)
	}
	// A file the host writes (an offloaded response) is readable inside.
	p, err := sb.WriteOutput("resp.json", []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := bash(t, sb, "cat "+p, 10); r.Stdout != `{"n":1}` {
		t.Fatalf("cat %s: %+v", p, r)
	}
}

func TestBashOutputCap(t *testing.T) {
	sb := newTestSandbox(t)
	r := bash(t, sb, "seq 1 10000; seq 1 3 >&2", 10)
	if r.StdoutLines != 10000 || r.StdoutFilePath == "" || r.StderrLines != 3 || r.StderrFilePath != "" {
		t.Fatalf("lines %d/%d, files %q/%q", r.StdoutLines, r.StderrLines, r.StdoutFilePath, r.StderrFilePath)
	}
	if n := len([]rune(r.Stdout)); n > InlineChars+200 {
		t.Errorf("inline stdout has %d characters, want about %d", n, InlineChars)
	}
	host, err := sb.HostPath(r.StdoutFilePath)
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(host)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(full), "\n9999\n10000\n") {
		t.Errorf("full output file ends with %q", full[len(full)-20:])
	}
}

// processesWith counts host processes whose command line contains marker.
func processesWith(marker string) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			n++
		}
	}
	return n
}

func TestBashLimits(t *testing.T) {
	sb := newTestSandbox(t)
	tests := []struct {
		name, cmd string
		timeout   int
		ok        func(r *BashResult) bool
	}{
		{"fork bomb bounded and killed", "bomb_7f3a(){ bomb_7f3a | bomb_7f3a & }; bomb_7f3a; sleep 60", 3,
			func(r *BashResult) bool { return r.ExitCode == -1 }},
		{"4 GB allocation refused", "/usr/bin/python3 -I -c 'x = bytearray(4 << 30)'", 20,
			func(r *BashResult) bool { return r.ExitCode != 0 && strings.Contains(r.Stderr, "MemoryError") }},
		{"200 MB file refused", "head -c 200M /dev/zero > big.bin; s=$?; echo size=$(stat -c %s big.bin); exit $s", 20,
			func(r *BashResult) bool {
				return r.ExitCode != 0 && !strings.Contains(r.Stdout, fmt.Sprint(200<<20))
			}},
		{"infinite loop killed at the timeout", "while :; do :; done", 1,
			func(r *BashResult) bool { return r.ExitCode == -1 && strings.Contains(r.Stderr, "killed") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bash(t, sb, tt.cmd, tt.timeout)
			if !tt.ok(r) {
				t.Errorf("%q → exit %d, stdout %q, stderr %.500q", tt.cmd, r.ExitCode, r.Stdout, r.Stderr)
			}
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for processesWith("bomb_7f3a") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d fork bomb processes outlived the call", processesWith("bomb_7f3a"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := bash(t, sb, "echo ok", 10); r.Stdout != "ok\n" {
		t.Errorf("the sandbox does not work after the limits tests: %+v", r)
	}
}

func TestUnavailableSaysWhy(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no bwrap to find
	sb := New(Config{FilesDir: t.TempDir()})
	err := sb.Available(context.Background())
	if err == nil || !strings.Contains(err.Error(), "apt-get install bubblewrap") || !strings.Contains(err.Error(), `sandbox = "none"`) {
		t.Fatalf("Available() = %v, want the reason and the fix", err)
	}
	if _, err := sb.Bash(context.Background(), "true", 1); err == nil {
		t.Error("Bash ran without a sandbox")
	}
	if _, err := NewKernel(sb).Run(context.Background(), "1", 1, nil); err == nil {
		t.Error("the kernel ran without a sandbox")
	}
}
