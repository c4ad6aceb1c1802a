package stdiojson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// decodeSeeds are messages of every shape, valid and not, for the table test and the fuzz corpus.
var decodeSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}`,
	`{"jsonrpc":"2.0","id":"abc","method":"ping"}`,
	`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
	`{"jsonrpc":"2.0","id":2,"result":{"content":[]}}`,
	`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"method not found"}}`,
	`{"jsonrpc":"2.0","id":4.7,"method":"x"}`,
	`{"jsonrpc":"2.0","id":null,"method":"x"}`,
	`{"jsonrpc":"2.0","id":1,"method":""}`,
	`{"jsonrpc":"2.0","id":1,"method":null}`,
	`{"jsonrpc":"2.0","id":1,"method":5}`,
	`{"jsonrpc":"2.0","id":[1],"method":"x"}`,
	`{"jsonrpc":"2.0","id":{"a":1},"result":1}`,
	`{"jsonrpc":"1.0","id":1,"method":"x"}`,
	`{"id":1,"method":"x"}`,
	`{"jsonrpc":"2.0"}`,
	`{"jsonrpc":"2.0","result":{}}`,
	`{"jsonrpc":"2.0","ID":1,"METHOD":"x"}`,
	`{"jsonrpc":"2.0","id":1,"Method":"x"}`,
	`{"jsonrpc":"2.0","id":1,"method":"x","params":null}`,
	`{"jsonrpc":"2.0","id":1,"method":"x","params":[1,2,{"a":"\u00e9\n"}]}`,
	`{"jsonrpc":"2.0","id":1,"method":"x","extra":true}`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":1}}`,
	`{"jsonrpc":"2.0","id":1,"error":null,"result":true}`,
	`  {"jsonrpc":"2.0","id":1,"method":"x"}  `,
	`[]`,
	`null`,
	`"text"`,
	`42`,
	`{`,
	`not json`,
	`{"jsonrpc":"2.0","id":1,"method":"x"} {"jsonrpc":"2.0","id":2,"method":"y"}`,
	strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
	`{"jsonrpc":"2.0","id":1,"method":"x","params":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`,
}

// TestDecodeMessageMatchesSDK holds the lean decoder to go-sdk's own: for one JSON value, the same message or an
// error where go-sdk errs.
func TestDecodeMessageMatchesSDK(t *testing.T) {
	for _, s := range decodeSeeds {
		t.Run(s[:min(len(s), 40)], func(t *testing.T) {
			compareWithSDK(t, []byte(s))
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithSDK(t, data)
	})
}

// compareWithSDK compares decodeMessage with jsonrpc.DecodeMessage on data when data is one JSON object, the only
// input go-sdk's transport hands its decoder (the stream decoder before it splits values).
func compareWithSDK(t *testing.T, data []byte) {
	t.Helper()
	got, err := decodeMessage(data)
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(data) || len(trimmed) == 0 || trimmed[0] != '{' || checkDepth(data) != nil {
		return // not a value go-sdk's decoder would see alone; decodeLine's tests cover it
	}
	want, wantErr := jsonrpc.DecodeMessage(data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decode %q: error %v, go-sdk's error %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("decode %q:\n got %#v\nwant %#v", data, got, want)
	}
}

// normalize makes nil and empty raw values compare equal.
func normalize(m jsonrpc.Message) jsonrpc.Message {
	switch m := m.(type) {
	case *jsonrpc.Request:
		c := *m
		if len(c.Params) == 0 {
			c.Params = nil
		}
		return &c
	case *jsonrpc.Response:
		c := *m
		if len(c.Result) == 0 {
			c.Result = nil
		}
		return &c
	}
	return m
}

func TestDecodeLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    []string // methods of requests, "resp:ID" of responses
		batch   bool
		wantErr string
	}{
		{name: "request", line: decodeSeeds[0], want: []string{"tools/call"}},
		{name: "batch", line: `[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0","id":2,"result":{}}]`,
			want: []string{"a", "b", "resp:2"}, batch: true},
		{name: "empty batch", line: `[]`, wantErr: "empty batch"},
		{name: "batch of junk", line: `[1,2]`, wantErr: "unmarshaling"},
		{name: "batch with a bad message", line: `[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"1.0","id":2,"method":"b"}]`, wantErr: "version tag"},
		{name: "junk", line: `hello`, wantErr: "unmarshaling"},
		{name: "trailing data", line: `{"jsonrpc":"2.0","id":1,"method":"a"} x`, wantErr: "trailing data"},
		{name: "two values", line: `{"jsonrpc":"2.0","id":1,"method":"a"}{"jsonrpc":"2.0","id":2,"method":"b"}`, wantErr: "trailing data"},
		{name: "too deep", line: strings.Repeat("[", 1001) + strings.Repeat("]", 1001), wantErr: "nesting depth"},
		{name: "case of field names", line: `{"jsonrpc":"2.0","ID":1,"Method":"a"}`, wantErr: "invalid request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, batch, err := decodeLine([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if batch != tt.batch {
				t.Errorf("batch = %v, want %v", batch, tt.batch)
			}
			if got := names(msgs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages %v, want %v", got, tt.want)
			}
		})
	}
}

// names summarizes messages: a request's method, "resp:ID" for a response.
func names(msgs []jsonrpc.Message) []string {
	var out []string
	for _, m := range msgs {
		switch m := m.(type) {
		case *jsonrpc.Request:
			out = append(out, m.Method)
		case *jsonrpc.Response:
			id, _ := json.Marshal(m.ID.Raw())
			out = append(out, "resp:"+string(id))
		}
	}
	return out
}
