package stdiojson

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkEcho compares a tools/call round trip between go-sdk's client and server over OS pipes, with go-sdk's
// IOTransport on both ends and with this package's: the transport's share of an MCP call.
func BenchmarkEcho(b *testing.B) {
	transports := map[string]func(r io.ReadCloser, w io.WriteCloser) mcp.Transport{
		"go-sdk":    func(r io.ReadCloser, w io.WriteCloser) mcp.Transport { return &mcp.IOTransport{Reader: r, Writer: w} },
		"stdiojson": func(r io.ReadCloser, w io.WriteCloser) mcp.Transport { return &IOTransport{Reader: r, Writer: w} },
	}
	for _, name := range []string{"go-sdk", "stdiojson"} {
		newTransport := transports[name]
		b.Run(name, func(b *testing.B) {
			aR, aW, _ := os.Pipe()
			bR, bW, _ := os.Pipe()
			srv := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
			mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
				S string `json:"s"`
			}) (*mcp.CallToolResult, any, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.S}}}, nil, nil
			})
			ss, err := srv.Connect(context.Background(), newTransport(aR, bW), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ss.Close()
			client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
			cs, err := client.Connect(context.Background(), newTransport(bR, aW), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer cs.Close()
			params := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"s": "hello"}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cs.CallTool(context.Background(), params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
