package stdiojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	segjson "github.com/segmentio/encoding/json"
)

// parseFlags match go-sdk's decoder: field names match exactly ("Method" is not "method").
const parseFlags = segjson.DontMatchCaseInsensitiveStructFields

// maxDepth is go-sdk's bound on the nesting of a message.
const maxDepth = 1000

var errMaxDepth = fmt.Errorf("json: exceeded maximum nesting depth of %d", maxDepth)

// wireMessage is the decoded form of any JSON-RPC message, as go-sdk decodes it. Method is raw so that a present
// but empty "method" still makes a request.
type wireMessage struct {
	VersionTag string          `json:"jsonrpc"`
	ID         any             `json:"id,omitempty"`
	Method     json.RawMessage `json:"method"`
	Params     json.RawMessage `json:"params,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *jsonrpc.Error  `json:"error,omitempty"`
}

// decodeLine decodes one line: a message, or a JSON-RPC batch (an array of messages).
func decodeLine(line []byte) (msgs []jsonrpc.Message, isBatch bool, err error) {
	if err := checkDepth(line); err != nil {
		return nil, false, err
	}
	if line[0] != '[' {
		msg, err := decodeMessage(line)
		if err != nil {
			return nil, false, err
		}
		return []jsonrpc.Message{msg}, false, nil
	}
	var raws []json.RawMessage
	if err := parse(line, &raws); err != nil {
		return nil, true, err
	}
	if len(raws) == 0 {
		return nil, true, errors.New("empty batch")
	}
	msgs = make([]jsonrpc.Message, 0, len(raws))
	for _, raw := range raws {
		msg, err := decodeMessage(raw)
		if err != nil {
			return nil, true, err
		}
		msgs = append(msgs, msg)
	}
	return msgs, true, nil
}

// decodeMessage is jsonrpc.DecodeMessage for one complete JSON value, without its per-call 32 KB decoder buffer.
func decodeMessage(data []byte) (jsonrpc.Message, error) {
	var w wireMessage
	if err := parse(data, &w); err != nil {
		return nil, fmt.Errorf("unmarshaling jsonrpc message: %w", err)
	}
	if w.VersionTag != "2.0" {
		return nil, fmt.Errorf("invalid message version tag %q; expected %q", w.VersionTag, "2.0")
	}
	id, err := jsonrpc.MakeID(w.ID)
	if err != nil {
		return nil, err
	}
	if len(w.Method) > 0 {
		var method string
		if err := parse(w.Method, &method); err != nil {
			return nil, fmt.Errorf("unmarshaling jsonrpc message: %w", err)
		}
		return &jsonrpc.Request{ID: id, Method: method, Params: w.Params}, nil
	}
	if !id.IsValid() {
		return nil, errInvalidRequest
	}
	resp := &jsonrpc.Response{ID: id, Result: w.Result}
	if w.Error != nil {
		resp.Error = w.Error // not a typed nil in the error interface
	}
	return resp, nil
}

// errInvalidRequest is go-sdk's jsonrpc2.ErrInvalidRequest: a message with neither a method nor an id.
var errInvalidRequest = &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "invalid request"}

// parse decodes one JSON value that must fill data, except for blanks.
func parse(data []byte, v any) error {
	rest, err := segjson.Parse(data, v, parseFlags)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return fmt.Errorf("invalid trailing data after the JSON value: %.20q", rest)
	}
	return nil
}

// checkDepth rejects values nested deeper than maxDepth, before a recursive decoder sees them.
func checkDepth(data []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, b := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return errMaxDepth
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// encodeBatch encodes the responses of a batch as one JSON array.
func encodeBatch(resps []*jsonrpc.Response) ([]byte, error) {
	buf := []byte{'['}
	for i, r := range resps {
		data, err := jsonrpc.EncodeMessage(r)
		if err != nil {
			return nil, fmt.Errorf("encoding batch message: %w", err)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, data...)
	}
	return append(buf, ']'), nil
}
