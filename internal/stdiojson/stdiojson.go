// Package stdiojson is a lean newline-delimited JSON-RPC transport for the go-sdk MCP server and client: toolmux's
// own stdin and stdout ([StdioTransport]) and an upstream server's process ([CommandTransport]).
//
// It implements go-sdk's public mcp.Transport and mcp.Connection with the same observable behavior as the go-sdk
// stdio transports (messages, JSON-RPC batches before protocol version 2025-06-18, the line-length bound, Close
// unblocking Read, the stdin-close-wait-SIGTERM-SIGKILL shutdown of a child) at a fraction of the cost per message:
// lines are read by the goroutine that asks for the next message, from one buffered reader whose buffer is reused,
// and decoded once, with no 32 KB decoder per message and no try-as-a-batch-first pass. Each message is written with
// one Write. Messages must not contain raw newlines (the MCP stdio transport forbids them); a value pretty-printed
// over several lines is an error, as it is for every line-based MCP implementation.
//
// It depends on the go-sdk's mcp and jsonrpc packages and on nothing in toolmux.
package stdiojson

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ErrLineTooLong is returned by Read when a message is longer than the connection's MaxLineLength; the connection
// is then unusable, as it is with go-sdk's transports.
var ErrLineTooLong = errors.New("incoming JSON-RPC message exceeds the maximum line length")

// readBufferSize is the size of the reused read buffer: lines up to this size are decoded in place.
const readBufferSize = 64 << 10

// maxRetained is the largest buffer for long lines a connection keeps between messages.
const maxRetained = 1 << 20

// IOTransport speaks newline-delimited JSON-RPC over a reader and a writer; Close closes both. It is the
// counterpart of mcp.IOTransport.
type IOTransport struct {
	Reader io.ReadCloser
	Writer io.WriteCloser
	// MaxLineLength bounds the size of one incoming message in bytes: 0 means mcp.DefaultMaxLineLength, a negative
	// value means no bound.
	MaxLineLength int
}

// Connect implements mcp.Transport.
func (t *IOTransport) Connect(context.Context) (mcp.Connection, error) {
	src, err := newSource(t.Reader)
	if err != nil {
		return nil, err
	}
	c := newConn(src, t.Writer, t.MaxLineLength)
	c.closer = func() error {
		return errors.Join(t.Reader.Close(), t.Writer.Close())
	}
	return c, nil
}

// StdioTransport speaks on the process's own stdin and stdout, like mcp.StdioTransport: Close closes stdin, not
// stdout.
type StdioTransport struct {
	// MaxLineLength is as for IOTransport.
	MaxLineLength int
}

// Connect implements mcp.Transport.
func (t *StdioTransport) Connect(context.Context) (mcp.Connection, error) {
	in := pollableStdin()
	src, err := newSource(in)
	if err != nil {
		return nil, err
	}
	c := newConn(src, os.Stdout, t.MaxLineLength)
	c.closer = in.Close
	return c, nil
}

// source is what a connection reads lines from: a reader whose blocked Read can be interrupted with a deadline.
type source interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

// newSource returns r if a deadline can interrupt its Read (a pipe or socket in the runtime's poller, a net.Conn),
// else a pipe fed from r by a goroutine, so that Close always unblocks Read. The goroutine stays blocked in r's Read
// until r returns, as go-sdk's reader goroutine does: no portable way unblocks a read of a terminal.
func newSource(r io.Reader) (source, error) {
	if s, ok := r.(source); ok && s.SetReadDeadline(time.Time{}) == nil {
		return s, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdio transport: create the read pipe: %w", err)
	}
	go func() {
		_, _ = io.Copy(pw, r) // a read error ends the input as the end of the input does
		_ = pw.Close()
	}()
	return &pipeSource{File: pr}, nil
}

// pipeSource is the read end of newSource's pipe: closing the connection closes it, which also stops the copying
// goroutine at its next write.
type pipeSource struct{ *os.File }

// conn is one JSON-RPC connection over a line source and a writer.
type conn struct {
	src    source
	br     *bufio.Reader
	max    int    // maximum line length; <= 0: none
	long   []byte // a line longer than br's buffer, or the start of a line a failed read left, reused
	queue  []jsonrpc.Message
	w      io.Writer
	closer func() error

	writeMu sync.Mutex

	mu      sync.Mutex
	closed  bool
	version string     // negotiated protocol version, seen in the initialize exchange
	initID  jsonrpc.ID // the initialize request, until it is answered
	// initWritten says whether the initialize request was written (client) or read (server).
	initWritten bool
	batches     map[jsonrpc.ID]*batch
	closeErr    error
	done        chan struct{}
}

func newConn(src source, w io.Writer, maxLine int) *conn {
	if maxLine == 0 {
		maxLine = mcp.DefaultMaxLineLength
	}
	return &conn{src: src, br: bufio.NewReaderSize(src, readBufferSize), max: maxLine, w: w, done: make(chan struct{})}
}

// SessionID implements mcp.Connection; stdio connections have none.
func (c *conn) SessionID() string { return "" }

// Read implements mcp.Connection: the next message, from the last batch read or from the next line.
func (c *conn) Read(ctx context.Context) (jsonrpc.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(c.queue) > 0 {
		msg := c.queue[0]
		c.queue = c.queue[1:]
		return msg, nil
	}
	if c.isClosed() {
		return nil, io.EOF
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = c.src.SetReadDeadline(time.Now()) })
		defer func() {
			if !stop() && !c.isClosed() {
				_ = c.src.SetReadDeadline(time.Time{})
			}
		}()
	}
	for {
		line, err := c.readLine()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if c.isClosed() {
				return nil, io.EOF
			}
			return nil, err
		}
		if len(line) == 0 {
			continue // a blank line between messages
		}
		msgs, isBatch, err := decodeLine(line)
		if err != nil {
			return nil, err
		}
		if isBatch {
			if err := c.addBatch(msgs); err != nil {
				return nil, err
			}
		}
		for _, m := range msgs {
			c.observeRead(m)
		}
		c.queue = msgs[1:]
		return msgs[0], nil
	}
}

// readLine returns the next line without its line ending, trimmed of surrounding blanks. The returned slice is
// valid until the next call. At the end of the input, a last line without a newline is returned first, then io.EOF.
func (c *conn) readLine() ([]byte, error) {
	if len(c.long) == 0 && cap(c.long) > maxRetained {
		c.long = nil // do not keep a rare huge line's buffer for the connection's life
	}
	for {
		chunk, err := c.br.ReadSlice('\n')
		if err == nil && len(c.long) == 0 {
			if c.max > 0 && contentLen(chunk) > c.max {
				return nil, c.tooLong()
			}
			return bytes.TrimSpace(chunk), nil
		}
		if len(chunk) > 0 {
			// +2: the line ending, not yet read, does not count.
			if c.max > 0 && len(c.long)+len(chunk) > c.max+2 {
				c.long = c.long[:0]
				return nil, c.tooLong()
			}
			c.long = append(c.long, chunk...)
		}
		switch {
		case err == nil:
			if c.max > 0 && contentLen(c.long) > c.max {
				c.long = c.long[:0]
				return nil, c.tooLong()
			}
			line := bytes.TrimSpace(c.long)
			c.long = c.long[:0]
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(c.long)) > 0:
			// The last line has no newline: decode it; the next call reports the end.
			line := bytes.TrimSpace(c.long)
			c.long = c.long[:0]
			return line, nil
		}
		// Keep a partial line (a read interrupted by a context) so that the next call completes it.
		return nil, err
	}
}

// contentLen is the length of a line without its line ending.
func contentLen(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return n
}

func (c *conn) tooLong() error {
	return fmt.Errorf("%w of %d bytes; the peer must not send messages this large (a transport's MaxLineLength raises the bound)", ErrLineTooLong, c.max)
}

// Write implements mcp.Connection: one message, or a whole batch of responses once its last response is written.
func (c *conn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.observeWrite(msg)
	var data []byte
	if resp, ok := msg.(*jsonrpc.Response); ok {
		if all, inBatch := c.updateBatch(resp); inBatch {
			if all == nil {
				return nil // the batch is not complete yet
			}
			var err error
			if data, err = encodeBatch(all); err != nil {
				return err
			}
		}
	}
	if data == nil {
		var err error
		if data, err = jsonrpc.EncodeMessage(msg); err != nil {
			return fmt.Errorf("marshaling message: %w", err)
		}
	}
	data = append(data, '\n') // EncodeMessage trimmed its encoder's newline: no copy here
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.isClosed() {
		return fmt.Errorf("write %s: %w", describe(msg), mcp.ErrConnectionClosed)
	}
	_, err := c.w.Write(data)
	return err
}

// Close implements mcp.Connection: it unblocks a pending Read and closes the underlying streams once.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return c.closeErr
	}
	c.closed = true
	c.mu.Unlock()
	_ = c.src.SetReadDeadline(time.Now())
	var err error
	if c.closer != nil {
		err = c.closer()
	}
	if p, ok := c.src.(*pipeSource); ok {
		_ = p.Close()
	}
	c.closeErr = err
	close(c.done)
	return err
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// describe names a message in an error.
func describe(msg jsonrpc.Message) string {
	switch m := msg.(type) {
	case *jsonrpc.Request:
		return fmt.Sprintf("%q request", m.Method)
	case *jsonrpc.Response:
		return fmt.Sprintf("response to %v", m.ID.Raw())
	}
	return "message"
}
