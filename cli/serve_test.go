package cli

import (
	"runtime/debug"
	"testing"
	"time"
)

func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// TestPauseGC: collection is off within the limit until done has been called n times, then the settings found
// come back; without the calls they come back after atMost.
func TestPauseGC(t *testing.T) {
	orig := debug.SetGCPercent(100) // a setting to restore, even when the tests run under GOGC=off
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	percent, limit := gcSettings()
	done := pauseGC(32<<20, time.Hour, 2)
	if p, l := gcSettings(); p != -1 || l != 32<<20 {
		t.Fatalf("paused: GOGC %d, limit %d; want off, %d", p, l, 32<<20)
	}
	done()
	if p, _ := gcSettings(); p != -1 {
		t.Fatal("resumed after one of two calls")
	}
	done()
	if p, l := gcSettings(); p != percent || l != limit {
		t.Fatalf("resumed: GOGC %d, limit %d; want %d, %d", p, l, percent, limit)
	}
	done() // a late call changes nothing
	if p, l := gcSettings(); p != percent || l != limit {
		t.Fatalf("after a late call: GOGC %d, limit %d", p, l)
	}

	pauseGC(32<<20, 10*time.Millisecond, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, l := gcSettings(); p == percent && l == limit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not resumed after atMost")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
