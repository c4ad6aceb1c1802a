// Command linerelay starts a command and copies newline-delimited lines between its own stdin/stdout and the
// command's, without looking at them:
//
//	linerelay COMMAND [ARGS...]
//
// It is the floor of a second stdio hop: the benchmarks put it where toolmux sits between an MCP client and an
// upstream MCP server, so the cost of the extra pipe and process can be told apart from the cost of MCP work.
// Each line is written as soon as it is complete; nothing is decoded.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: linerelay COMMAND [ARGS...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		fail(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		fail(err)
	}
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	go func() {
		// Client to command; the command's stdin closes when ours does.
		if err := relay(in, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "linerelay: stdin:", err)
		}
		in.Close()
	}()
	if err := relay(os.Stdout, out); err != nil {
		fmt.Fprintln(os.Stderr, "linerelay: stdout:", err)
	}
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		fail(err)
	}
}

// relay copies src to dst one line at a time, each line in one Write.
func relay(dst io.Writer, src io.Reader) error {
	r := bufio.NewReaderSize(src, 64<<10)
	var long []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...) // a line longer than the buffer: gather it
			continue
		}
		if long != nil {
			line, long = append(long, line...), nil
		}
		if len(line) > 0 {
			if _, werr := dst.Write(line); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "linerelay:", err)
	os.Exit(1)
}
