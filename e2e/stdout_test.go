package e2e

// stdout carries MCP only (DESIGN §10): a session driven with raw JSON-RPC lines, every line of stdout checked.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// rpcMessage is any JSON-RPC 2.0 message.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// checkRPCLine reports why line is not one JSON-RPC 2.0 message, or "".
func checkRPCLine(line string) (rpcMessage, string) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		return rpcMessage{}, fmt.Sprintf("not a JSON object: %v", err)
	}
	for k := range fields {
		if !slices.Contains([]string{"jsonrpc", "id", "method", "params", "result", "error"}, k) {
			return rpcMessage{}, fmt.Sprintf("unexpected member %q", k)
		}
	}
	var m rpcMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return m, fmt.Sprintf("members of the wrong type: %v", err)
	}
	if m.JSONRPC != "2.0" {
		return m, fmt.Sprintf("jsonrpc = %q, want \"2.0\"", m.JSONRPC)
	}
	_, hasResult := fields["result"]
	_, hasError := fields["error"]
	switch {
	case m.Method != "":
		if hasResult || hasError {
			return m, "a request or notification with a result or error"
		}
	case len(m.ID) == 0:
		return m, "a response without an id"
	case hasResult == hasError:
		return m, "a response needs exactly one of result and error"
	}
	return m, ""
}

func TestStdoutIsOnlyJSONRPC(t *testing.T) {
	t.Parallel()
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))
	cmd := h.command("serve", "--session", "raw")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("stderr:\n%s", stderr)
		}
	})

	lines := readLines(stdout)
	var all []string // every stdout line, in order
	byID := map[string]rpcMessage{}
	send := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatalf("write to serve's stdin: %v", err)
		}
	}
	// await reads stdout until responses to every id arrived.
	await := func(ids ...int) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			missing := 0
			for _, id := range ids {
				if _, ok := byID[fmt.Sprint(id)]; !ok {
					missing++
				}
			}
			if missing == 0 {
				return
			}
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("stdout closed while waiting for %d responses; stderr:\n%s", missing, stderr)
				}
				all = append(all, line)
				if m, problem := checkRPCLine(line); problem == "" && m.Method == "" {
					byID[string(m.ID)] = m
				}
			case <-timeout:
				t.Fatalf("%d responses missing after 30s", missing)
			}
		}
	}
	request := func(id int, method string, params any) map[string]any {
		m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
		if params != nil {
			m["params"] = params
		}
		return m
	}
	callTool := func(id int, name string, args any, meta map[string]any) map[string]any {
		p := map[string]any{"name": name, "arguments": args}
		if meta != nil {
			p["_meta"] = meta
		}
		return request(id, "tools/call", p)
	}

	send(request(1, "initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "raw-e2e", "version": "1.0.0"},
	}))
	await(1)
	send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	send(request(2, "tools/list", nil))
	send(callTool(3, searchTools, map[string]any{"queries": []any{map[string]any{"use_case": "list inventory items"}}}, nil))
	send(callTool(4, searchTools, map[string]any{"queries": []any{}}, nil))
	send(callTool(5, getToolSchemas, map[string]any{"tool_slugs": []string{"INVENTORY_GET_ITEM", "NO_SUCH_TOOL"}}, nil))
	send(callTool(6, getToolSchemas, map[string]any{"tool_slugs": []string{}}, nil))
	send(callTool(7, multiExecute, map[string]any{"tools": []any{
		map[string]any{"tool_slug": "INVENTORY_GET_ITEM", "arguments": map[string]any{"item_id": "42"}},
		map[string]any{"tool_slug": "INVENTORY_GET_ITEM", "arguments": map[string]any{"item_id": "404"}},
		map[string]any{"tool_slug": "INVENTORY_GET_BROKEN", "arguments": map[string]any{}},
		map[string]any{"tool_slug": "INVENTORY_NO_SUCH_TOOL", "arguments": map[string]any{}},
	}}, nil))
	send(callTool(8, multiExecute, map[string]any{"thought": "no tools given"}, nil))
	send(callTool(9, multiExecute, map[string]any{"tools": []any{
		map[string]any{"tool_slug": "INVENTORY_GET_DELAYED", "arguments": map[string]any{"ms": 20}},
		map[string]any{"tool_slug": "INVENTORY_LIST_ITEMS", "arguments": map[string]any{}},
	}}, map[string]any{"progressToken": "raw-9"}))
	send(callTool(10, "NO_SUCH_TOOL", map[string]any{}, nil))
	send(request(11, "no/such/method", map[string]any{}))
	send(request(12, "ping", nil))
	send(map[string]any{"jsonrpc": "2.0", "method": "notifications/no_such_notification"})
	await(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)

	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after stdin closed, want exit 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit within 15s after stdin closed")
	}
	for line := range lines {
		all = append(all, line)
	}

	// Every line of stdout is one JSON-RPC 2.0 message.
	progress := 0
	for i, line := range all {
		m, problem := checkRPCLine(line)
		if problem != "" {
			t.Errorf("stdout line %d is not JSON-RPC 2.0 (%s): %.300s", i+1, problem, line)
			continue
		}
		if m.Method == "notifications/progress" && strings.Contains(string(m.Params), `"raw-9"`) {
			progress++
		}
	}
	if progress != 2 {
		t.Errorf("%d progress notifications for the 2-call multi-execute, want 2", progress)
	}

	// The answers themselves.
	for id, want := range map[int]struct {
		errorCode int  // a protocol error with this code
		isError   bool // else a tool result with this isError
	}{
		2: {}, 3: {}, 4: {isError: true}, 5: {}, 6: {isError: true}, 7: {}, 8: {isError: true}, 9: {},
		10: {errorCode: -32602}, 11: {errorCode: -32601}, 12: {},
	} {
		m := byID[fmt.Sprint(id)]
		if want.errorCode != 0 {
			if m.Error == nil || m.Error.Code != want.errorCode {
				t.Errorf("response %d: error %+v, want code %d", id, m.Error, want.errorCode)
			}
			continue
		}
		if m.Error != nil {
			t.Errorf("response %d: protocol error %+v, want a result", id, *m.Error)
			continue
		}
		if id == 2 || id == 12 {
			continue
		}
		res := decode[struct {
			IsError           bool     `json:"isError"`
			StructuredContent envelope `json:"structuredContent"`
		}](t, m.Result)
		if res.IsError != want.isError || res.StructuredContent.Successful == want.isError {
			t.Errorf("response %d: isError %v, successful %v; want isError %v", id, res.IsError, res.StructuredContent.Successful, want.isError)
		}
	}
	d := decode[struct {
		StructuredContent struct {
			Data execData `json:"data"`
		} `json:"structuredContent"`
	}](t, byID["7"].Result).StructuredContent.Data
	var ok []bool
	for _, r := range d.Results {
		ok = append(ok, r.Response.Successful)
	}
	if !slices.Equal(ok, []bool{true, false, false, false}) || d.ErrorCount != 3 {
		t.Errorf("multi-execute with failing calls: successes %v, error_count %d; want [true false false false] and 3", ok, d.ErrorCount)
	}
}
