package openapi

import (
	"os"
	"testing"
)

// skipOrFail skips a test whose external component is missing, except under CI, where it fails.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
