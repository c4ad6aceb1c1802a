package e2e

// Several MCP hosts at once (Claude Desktop and Cursor): two serve processes on one state directory.

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestTwoProcessesShareOneStateDir(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 90*time.Second)
	api := newInventoryAPI(t)
	h := newHarness(t)
	h.writeConfig(inventoryConfig(t, api, ""))

	const rounds = 5
	sessions := []string{"alpha", "beta"}
	servers := make([]*serving, len(sessions))
	for i, name := range sessions {
		servers[i] = h.serve(ctx, nil, "--session", name)
	}
	var wg sync.WaitGroup

	// Both processes run their multi-executes at the same time.
	results := make([][]*mcp.CallToolResult, len(sessions))
	callErrs := make([]error, len(sessions))
	for i, name := range sessions {
		wg.Go(func() {
			for round := range rounds {
				res, err := servers[i].cs.CallTool(ctx, &mcp.CallToolParams{Name: multiExecute, Arguments: map[string]any{
					"tools": []call{
						{"INVENTORY_GET_DELAYED", map[string]any{"ms": 20}},
						{"INVENTORY_LIST_ITEMS", map[string]any{}},
						{"INVENTORY_GET_ITEM", map[string]any{"item_id": "42"}},
						{"INVENTORY_CREATE_ITEM", map[string]any{"name": fmt.Sprintf("%s-%d", name, round)}},
					},
					"memory": map[string][]string{"rounds": {fmt.Sprintf("round %d of %s", round, name)}},
				}})
				if err != nil {
					callErrs[i] = fmt.Errorf("%s round %d: %w", name, round, err)
					return
				}
				results[i] = append(results[i], res)
			}
		})
	}
	wg.Wait()
	for i, name := range sessions {
		if callErrs[i] != nil {
			t.Fatal(callErrs[i])
		}
		for round, res := range results[i] {
			env := checkEnvelope(t, multiExecute, res)
			if !env.Successful {
				t.Errorf("%s round %d: multi-execute failed: %s", name, round, env.errorText())
				continue
			}
			d := decode[execData](t, env.Data)
			for _, r := range d.Results {
				if !r.Response.Successful {
					t.Errorf("%s round %d: %s failed: %s", name, round, r.ToolSlug, r.Response.errorText())
				}
			}
			if d.Session.ID != name {
				t.Errorf("%s round %d: result of session %q", name, round, d.Session.ID)
			}
		}
	}
	if got := len(api.createdBodies()); got != len(sessions)*rounds {
		t.Errorf("the API received %d creations, want %d", got, len(sessions)*rounds)
	}
	for _, s := range servers {
		s.close(t)
	}

	// Both processes' calls are in the one execution log.
	logs := decode[[]map[string]any](t, []byte(h.mustRun("", "logs", "--json", "-n", "1000").stdout))
	count := map[string]int{}
	for _, x := range logs {
		sess, _ := field(x, "session_id", "SessionID").(string)
		if status, _ := field(x, "status", "Status").(string); status != "ok" {
			t.Errorf("logged call %v has status %q", x, status)
		}
		count[sess]++
	}
	for _, name := range sessions {
		if count[name] != rounds*4 {
			t.Errorf("toolmux logs shows %d calls of session %s, want %d (all: %v)", count[name], name, rounds*4, count)
		}
	}
	// And both sessions' memory is in the one store.
	for _, name := range sessions {
		show := decode[map[string]any](t, []byte(h.mustRun("", "sessions", "show", name, "--json").stdout))
		mem, _ := show["memory"].(map[string]any)
		if facts, _ := mem["rounds"].([]any); len(facts) != rounds {
			t.Errorf("session %s remembers %v, want %d facts under rounds", name, mem, rounds)
		}
	}
}

// field returns the first of keys that m has.
func field(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}
