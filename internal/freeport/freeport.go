// Package freeport picks a TCP port on 127.0.0.1 for a server that will listen on it later (a fixed connect.port, a
// Prism mock that takes seconds to start).
package freeport

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// Get returns a port that is free on 127.0.0.1 now, chosen below Linux's ephemeral range (32768 and up): between
// now and the moment the server listens, a listener on port 0 in another process, such as a test binary running in
// parallel, is never given it.
func Get() (int, error) {
	for range 200 {
		p := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			return p, nil
		}
	}
	return 0, errors.New("no free port between 20000 and 32000 on 127.0.0.1")
}
