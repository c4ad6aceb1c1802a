package authtest

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// HungBus is a D-Bus session bus address whose socket accepts connections and never answers, like a hung or locked
// desktop session: a keychain call through it waits for toolmux's keychain timeout. It counts the connections made,
// so a test can tell that a command never opened the secret store.
type HungBus struct {
	// Addr is the value for DBUS_SESSION_BUS_ADDRESS.
	Addr string
	mu   sync.Mutex
	n    int
}

// NewHungBus listens on a Unix socket in a fresh temporary directory until the test ends.
func NewHungBus(t *testing.T) *HungBus {
	t.Helper()
	dir, err := os.MkdirTemp("", "bus") // short: a socket path is limited to about 100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	b := &HungBus{Addr: "unix:path=" + sock}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.n++
			conns = append(conns, c)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return b
}

// Connections is how many connections the bus has accepted.
func (b *HungBus) Connections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}
