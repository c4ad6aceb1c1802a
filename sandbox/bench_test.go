package sandbox

import (
	"context"
	"testing"
)

func benchSandbox(b *testing.B) *Sandbox {
	sb := New(Config{FilesDir: b.TempDir()})
	if err := sb.Available(context.Background()); err != nil {
		b.Skip(err)
	}
	return sb
}

// BenchmarkKernelFirstCall is a cold start: sandbox, interpreter, kernel, and one cell.
func BenchmarkKernelFirstCall(b *testing.B) {
	sb := benchSandbox(b)
	for b.Loop() {
		k := NewKernel(sb)
		if _, err := k.Run(context.Background(), "1", 10, nil); err != nil {
			b.Fatal(err)
		}
		k.Close()
	}
}

// BenchmarkKernelWarmCall is one cell's round trip on a running kernel.
func BenchmarkKernelWarmCall(b *testing.B) {
	sb := benchSandbox(b)
	k := NewKernel(sb)
	defer k.Close()
	if _, err := k.Run(context.Background(), "x = 0", 10, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Run(context.Background(), "x += 1", 10, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBash is one command in a fresh sandbox.
func BenchmarkBash(b *testing.B) {
	sb := benchSandbox(b)
	for b.Loop() {
		if _, err := sb.Bash(context.Background(), "true", 10); err != nil {
			b.Fatal(err)
		}
	}
}
