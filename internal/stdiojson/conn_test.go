package stdiojson

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	reqA = `{"jsonrpc":"2.0","id":1,"method":"a"}`
	reqB = `{"jsonrpc":"2.0","id":2,"method":"b"}`
)

// readAll reads messages until an error: their summaries and the error.
func readAll(t *testing.T, c mcp.Connection) ([]string, error) {
	t.Helper()
	var got []string
	for {
		msg, err := c.Read(context.Background())
		if err != nil {
			return got, err
		}
		got = append(got, names([]jsonrpc.Message{msg})...)
	}
}

// connect opens a connection reading input, through the given kind of reader.
func connect(t *testing.T, input string, pollable bool, maxLine int) mcp.Connection {
	t.Helper()
	var r io.ReadCloser = io.NopCloser(strings.NewReader(input))
	if pollable {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = io.WriteString(pw, input)
			pw.Close()
		}()
		r = pr
	}
	c, err := (&IOTransport{Reader: r, Writer: nopWriteCloser{io.Discard}, MaxLineLength: maxLine}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func TestFraming(t *testing.T) {
	long := `{"jsonrpc":"2.0","id":9,"method":"long","params":{"s":"` + strings.Repeat("x", 3*readBufferSize) + `"}}`
	tests := []struct {
		name    string
		input   string
		maxLine int
		want    []string
		wantErr string // "" means the input ends with io.EOF
	}{
		{name: "LF", input: reqA + "\n" + reqB + "\n", want: []string{"a", "b"}},
		{name: "CRLF", input: reqA + "\r\n" + reqB + "\r\n", want: []string{"a", "b"}},
		{name: "blank lines", input: "\n\n" + reqA + "\n \t\r\n\n" + reqB + "\n\n", want: []string{"a", "b"}},
		{name: "last line without newline", input: reqA + "\n" + reqB, want: []string{"a", "b"}},
		{name: "empty input", input: "", want: nil},
		{name: "only blanks", input: "\n \n\r\n  ", want: nil},
		{name: "EOF mid-line", input: reqA + "\n" + reqB[:20], want: []string{"a"}, wantErr: "unmarshaling"},
		{name: "junk line", input: reqA + "\nnot json\n" + reqB + "\n", want: []string{"a"}, wantErr: "unmarshaling"},
		{name: "line longer than the read buffer", input: reqA + "\n" + long + "\n" + reqB + "\n", want: []string{"a", "long", "b"}},
		{name: "oversized line", input: reqA + "\n" + long + "\n", maxLine: 1000, want: []string{"a"}, wantErr: "maximum line length"},
		{name: "oversized short line", input: reqA + "\n" + reqB + "\n", maxLine: 20, wantErr: "maximum line length"},
		{name: "line at the bound", input: reqA + "\n", maxLine: len(reqA), want: []string{"a"}},
		{name: "CRLF line at the bound", input: reqA + "\r\n", maxLine: len(reqA), want: []string{"a"}},
		{name: "line one byte over the bound", input: reqA + "\n", maxLine: len(reqA) - 1, wantErr: "maximum line length"},
		{name: "long line at the bound", input: long + "\r\n", maxLine: len(long), want: []string{"long"}},
		{name: "long line one byte over the bound", input: long + "\n", maxLine: len(long) - 1, wantErr: "maximum line length"},
		{name: "no bound", input: long + "\n", maxLine: -1, want: []string{"long"}},
		{name: "batch", input: "[" + reqA + "," + reqB + `,{"jsonrpc":"2.0","method":"n"}]` + "\n", want: []string{"a", "b", "n"}},
		{name: "pretty-printed value", input: "{\n\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}\n", wantErr: "unmarshaling"},
	}
	for _, tt := range tests {
		for _, pollable := range []bool{true, false} {
			name := tt.name + map[bool]string{true: " (pipe)", false: " (reader)"}[pollable]
			t.Run(name, func(t *testing.T) {
				got, err := readAll(t, connect(t, tt.input, pollable, tt.maxLine))
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("messages %v, want %v", got, tt.want)
				}
				switch {
				case tt.wantErr == "" && !errors.Is(err, io.EOF):
					t.Errorf("ended with %v, want io.EOF", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("ended with %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "line length") && !errors.Is(err, ErrLineTooLong) {
					t.Errorf("error %v is not ErrLineTooLong", err)
				}
			})
		}
	}
}

// TestCloseUnblocksRead: a Read waiting for input returns once the connection is closed, whether the input is a
// pipe the runtime polls or a plain reader.
func TestCloseUnblocksRead(t *testing.T) {
	for _, pollable := range []bool{true, false} {
		t.Run(map[bool]string{true: "pipe", false: "reader"}[pollable], func(t *testing.T) {
			var r io.ReadCloser
			var w io.Closer
			if pollable {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r, w = pr, pw
			} else {
				pr, pw := io.Pipe()
				r, w = pr, pw
			}
			defer w.Close()
			c, err := (&IOTransport{Reader: r, Writer: nopWriteCloser{io.Discard}}).Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := c.Read(context.Background())
				done <- err
			}()
			if err := c.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := <-done; !errors.Is(err, io.EOF) {
				t.Fatalf("Read after Close returned %v, want io.EOF", err)
			}
			if err := c.Write(context.Background(), &jsonrpc.Request{Method: "x"}); !errors.Is(err, mcp.ErrConnectionClosed) {
				t.Errorf("Write after Close returned %v, want ErrConnectionClosed", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// TestReadContext: a cancelled context ends a waiting Read, and the connection still reads the next message whole,
// even when the context interrupted it in the middle of a line.
func TestReadContext(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	c, err := (&IOTransport{Reader: pr, Writer: nopWriteCloser{io.Discard}}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(pw, reqA[:10]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Read returned %v, want context.Canceled", err)
	}
	if _, err := io.WriteString(pw, reqA[10:]+"\n"); err != nil {
		t.Fatal(err)
	}
	msg, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := names([]jsonrpc.Message{msg}); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("read %v after the cancelled Read, want [a]", got)
	}
}

// rawPeer drives an MCP server over a transport with raw lines, as a client that sends batches would.
type rawPeer struct {
	w  io.Writer
	br *bufio.Reader
}

func newRawPeer(t *testing.T) (*rawPeer, *IOTransport) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return &rawPeer{w: inW, br: bufio.NewReader(outR)}, &IOTransport{Reader: inR, Writer: outW}
}

func (p *rawPeer) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.w, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (p *rawPeer) recv(t *testing.T) string {
	t.Helper()
	line, err := p.br.ReadString('\n')
	if err != nil {
		t.Fatalf("read the server's answer: %v (read %q)", err, line)
	}
	if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("answer %q is not one line", line)
	}
	return strings.TrimSuffix(line, "\n")
}

// TestBatchWithServer: a go-sdk server on this transport answers a JSON-RPC batch with one array, in the order of
// the requests, under protocol 2025-03-26; under 2025-06-18 it refuses batches as go-sdk's own transport does.
func TestBatchWithServer(t *testing.T) {
	tests := []struct {
		version string
		batches bool
	}{
		{"2025-03-26", true},
		{"2025-06-18", false},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			peer, tr := newRawPeer(t)
			srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
			mcp.AddTool(srv, &mcp.Tool{Name: "greet"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
				Name string `json:"name"`
			}) (*mcp.CallToolResult, any, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "hi " + in.Name}}}, nil, nil
			})
			ss, err := srv.Connect(context.Background(), tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.Close()
			peer.send(t, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+tt.version+`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
			var init struct {
				Result struct {
					ProtocolVersion string `json:"protocolVersion"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(peer.recv(t)), &init); err != nil || init.Result.ProtocolVersion != tt.version {
				t.Fatalf("initialize answered version %q (%v), want %s", init.Result.ProtocolVersion, err, tt.version)
			}
			peer.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			peer.send(t, `[{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"}}},`+
				`{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},{"jsonrpc":"2.0","id":7,"method":"ping"}]`)
			if !tt.batches {
				// The connection ends: the server reads no further and the peer sees the end of its output.
				if line, err := peer.br.ReadString('\n'); err == nil {
					t.Fatalf("server answered a batch under %s: %s", tt.version, line)
				}
				return
			}
			var answers []struct {
				ID     any             `json:"id"`
				Result json.RawMessage `json:"result"`
			}
			line := peer.recv(t)
			if err := json.Unmarshal([]byte(line), &answers); err != nil {
				t.Fatalf("batch answer %s is not an array: %v", line, err)
			}
			if len(answers) != 2 || answers[0].ID != "x" || answers[1].ID != float64(7) || !strings.Contains(string(answers[0].Result), "hi ada") {
				t.Fatalf("batch answer %s, want the tool result for id x then the ping for id 7", line)
			}
			// A single message after the batch is answered alone.
			peer.send(t, `{"jsonrpc":"2.0","id":8,"method":"ping"}`)
			if got := peer.recv(t); !strings.HasPrefix(got, "{") || !strings.Contains(got, `"id":8`) {
				t.Fatalf("ping answer %s", got)
			}
		})
	}
}

// TestClientServer: go-sdk's client and server talk over two of these transports (the version seen from the
// client's side too), including a message larger than the read buffer both ways.
func TestClientServer(t *testing.T) {
	aR, aW, _ := os.Pipe()
	bR, bW, _ := os.Pipe()
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		S string `json:"s"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.S}}}, nil, nil
	})
	ss, err := srv.Connect(context.Background(), &IOTransport{Reader: aR, Writer: bW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	tr := &IOTransport{Reader: bR, Writer: aW}
	cs, err := client.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	big := strings.Repeat("é", readBufferSize)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"s": big}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != big {
		t.Fatalf("echo returned %d bytes, want %d", len(got), len(big))
	}
	if v := cs.InitializeResult().ProtocolVersion; v == "" {
		t.Fatal("no protocol version negotiated")
	}
}

// TestSlowWriterWholeMessages: concurrent writes never interleave within a line.
func TestConcurrentWrites(t *testing.T) {
	pr, pw, _ := os.Pipe()
	c, err := (&IOTransport{Reader: io.NopCloser(strings.NewReader("")), Writer: pw}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	payload := strings.Repeat("y", 10000)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				id, _ := jsonrpc.MakeID(float64(w*each + i))
				params, _ := json.Marshal(map[string]string{"p": payload})
				if err := c.Write(context.Background(), &jsonrpc.Request{ID: id, Method: "m", Params: params}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	lines := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if _, err := jsonrpc.DecodeMessage(sc.Bytes()); err != nil {
				t.Errorf("line %d is not a message: %v", n, err)
			}
			n++
		}
		lines <- n
	}()
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	select {
	case n := <-lines:
		if n != writers*each {
			t.Fatalf("read %d lines, want %d", n, writers*each)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reader did not see the end of the output")
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s + "\n" + reqA + "\r\n"))
	}
	f.Add([]byte("\n\n" + reqA + "\n[" + reqA + "," + reqB + "]\n" + reqB))
	f.Add([]byte(reqA + "\n" + strings.Repeat("z", 300) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := (&IOTransport{Reader: io.NopCloser(strings.NewReader(string(data))), Writer: nopWriteCloser{io.Discard}, MaxLineLength: 256}).Connect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := 0; ; i++ {
			msg, err := c.Read(context.Background())
			if err != nil {
				if strings.Contains(err.Error(), "line length") && !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("line-length error %v is not ErrLineTooLong", err)
				}
				return
			}
			if i > len(data) {
				t.Fatalf("read %d messages from %d bytes", i, len(data))
			}
			// What was read encodes, and decodes back to the same message; except a request with an empty method,
			// which go-sdk's encoder writes without its "method" (omitempty), so that it no longer decodes.
			if r, ok := msg.(*jsonrpc.Request); ok && r.Method == "" {
				continue
			}
			enc, err := jsonrpc.EncodeMessage(msg)
			if err != nil {
				t.Fatalf("encode %#v: %v", msg, err)
			}
			again, err := decodeMessage(enc)
			if err != nil {
				t.Fatalf("decode %s: %v", enc, err)
			}
			enc2, _ := jsonrpc.EncodeMessage(again)
			if string(enc) != string(enc2) {
				t.Fatalf("round trip changed %s into %s", enc, enc2)
			}
		}
	})
}

// TestMessagesOutliveTheReadBuffer: a message's raw params stay intact after the next line has been read into the
// same buffer (the decoder must copy them out of the line).
func TestMessagesOutliveTheReadBuffer(t *testing.T) {
	first := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"aaaa","arguments":{"x":"1111"}}}`
	second := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"bbbb","arguments":{"x":"2222"}}}`
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	c, err := (&IOTransport{Reader: pr, Writer: nopWriteCloser{io.Discard}}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(pw, first+"\n"); err != nil {
		t.Fatal(err)
	}
	m1, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The first line is consumed: the second one is read into the start of the buffer.
	if _, err := io.WriteString(pw, second+"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := string(m1.(*jsonrpc.Request).Params); got != `{"name":"aaaa","arguments":{"x":"1111"}}` {
		t.Fatalf("the first message's params changed after the next read: %s", got)
	}
}
