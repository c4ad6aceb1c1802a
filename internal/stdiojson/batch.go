package stdiojson

import (
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Protocol versions that change the transport's behavior.
const (
	// versionNoBatches is the first protocol version without JSON-RPC batches.
	versionNoBatches = "2025-06-18"
	// versionDefault is what a connection assumes when initialize named no version: the last version where that
	// was allowed.
	versionDefault = "2025-03-26"
)

// batch is an incoming JSON-RPC batch's requests waiting for their responses, which go back as one array in the
// order of the requests.
type batch struct {
	unresolved map[jsonrpc.ID]int
	responses  []*jsonrpc.Response
}

// addBatch records the requests of an incoming batch. Batches are refused once the negotiated protocol version
// is 2025-06-18 or later, as go-sdk refuses them.
func (c *conn) addBatch(msgs []jsonrpc.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version >= versionNoBatches {
		return fmt.Errorf("JSON-RPC batching is not supported in %s and later (request version: %s)", versionNoBatches, c.version)
	}
	var b *batch
	for _, m := range msgs {
		req, ok := m.(*jsonrpc.Request)
		if !ok || !req.ID.IsValid() {
			continue
		}
		if b == nil {
			b = &batch{unresolved: map[jsonrpc.ID]int{}}
		}
		if _, dup := b.unresolved[req.ID]; dup {
			return fmt.Errorf("duplicate message ID %v in a JSON-RPC batch", req.ID.Raw())
		}
		if _, seen := c.batches[req.ID]; seen {
			return fmt.Errorf("invalid request: batch contains previously seen request %v", req.ID.Raw())
		}
		b.unresolved[req.ID] = len(b.responses)
		b.responses = append(b.responses, nil)
	}
	if b == nil {
		return nil
	}
	if c.batches == nil {
		c.batches = map[jsonrpc.ID]*batch{}
	}
	for id := range b.unresolved {
		c.batches[id] = b
	}
	return nil
}

// updateBatch records resp if it answers a request of a batch. inBatch says whether it does; all is the batch's
// responses once resp was the last one missing.
func (c *conn) updateBatch(resp *jsonrpc.Response) (all []*jsonrpc.Response, inBatch bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.batches[resp.ID]
	if !ok {
		return nil, false
	}
	b.responses[b.unresolved[resp.ID]] = resp
	delete(b.unresolved, resp.ID)
	delete(c.batches, resp.ID)
	if len(b.unresolved) == 0 {
		return b.responses, true
	}
	return nil, true
}

// observeRead and observeWrite learn the negotiated protocol version from the initialize exchange, in whichever
// direction it goes (a server reads the request and writes the answer, a client the reverse). go-sdk tells its own
// transports through an unexported hook; a transport of another package watches the messages instead.
func (c *conn) observeRead(m jsonrpc.Message) { c.observe(m, false) }

func (c *conn) observeWrite(m jsonrpc.Message) { c.observe(m, true) }

func (c *conn) observe(m jsonrpc.Message, written bool) {
	switch m := m.(type) {
	case *jsonrpc.Request:
		if m.Method == "initialize" && m.ID.IsValid() {
			c.mu.Lock()
			c.initID, c.initWritten = m.ID, written
			c.mu.Unlock()
		}
	case *jsonrpc.Response:
		c.mu.Lock()
		defer c.mu.Unlock()
		// The answer goes the other way than the request.
		if !c.initID.IsValid() || m.ID != c.initID || c.initWritten == written {
			return
		}
		c.initID = jsonrpc.ID{}
		if m.Error != nil {
			return
		}
		var r struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		if len(m.Result) > 0 && parse(m.Result, &r) != nil {
			return
		}
		c.version = r.ProtocolVersion
		if c.version == "" {
			c.version = versionDefault
		}
	}
}
