//go:build !unix

package stdiojson

import "os"

// pollableStdin is stdin itself where the runtime cannot poll it; Read then goes through a pipe fed by a goroutine.
func pollableStdin() *os.File { return os.Stdin }
