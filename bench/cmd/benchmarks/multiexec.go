package main

// COMPOSIO_MULTI_EXECUTE_TOOL with 20 calls to a local API that answers each request in 50 ms.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// apiDelay is how long the local API takes per request.
const apiDelay = 50 * time.Millisecond

// fanOut is how many calls one multi-execute makes.
const fanOut = 20

// sumReps is how many times 20 one-call multi-executes are run back to back.
const sumReps = 5

const slowSpec = `openapi: 3.0.3
info: {title: Slow, version: "1.0.0"}
paths:
  /slow:
    get:
      operationId: wait
      summary: Answer after 50 ms
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer}}
      responses:
        '200':
          description: done
          content:
            application/json:
              schema: {type: object}
`

// slowAPI answers every request after apiDelay and tracks how many are in flight.
type slowAPI struct {
	url            string
	inFlight, peak atomic.Int64
	served         atomic.Int64
	shutdown       func()
}

func startSlowAPI() (*slowAPI, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	api := &slowAPI{url: "http://" + l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := api.inFlight.Add(1)
		defer api.inFlight.Add(-1)
		for {
			p := api.peak.Load()
			if n <= p || api.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(apiDelay)
		api.served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"n":%q,"slept_ms":%d}`, r.URL.Query().Get("n"), apiDelay.Milliseconds())
	})}
	go func() { _ = srv.Serve(l) }()
	api.shutdown = func() { _ = srv.Close() }
	return api, nil
}

// multiClient is a toolmux serve process with a go-sdk client.
type multiClient struct {
	cs *mcp.ClientSession
}

func (b *bench) startMultiClient(ctx context.Context, apiURL string, concurrency int) (*multiClient, error) {
	dir := b.dir("multi")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	spec := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(spec, []byte(slowSpec), 0o600); err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf("log_level = \"warn\"\n\n[execution]\nconcurrency = %d\ntimeout_seconds = 30\n\n[builtin]\ndisable = [\"github\"]\n\n"+
		"[[toolkits]]\nslug = \"local\"\ntype = \"openapi\"\nspec = %q\nbase_url = %q\n", concurrency, spec, apiURL)
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		return nil, err
	}
	cmd := b.toolmuxCmd(ctx, "serve", "--config", config, "--state-dir", filepath.Join(dir, "state"))
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "toolmux-bench", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to toolmux serve: %w", err)
	}
	return &multiClient{cs: cs}, nil
}

// execute runs one multi-execute of n calls and returns its wall time as the client sees it.
func (c *multiClient) execute(ctx context.Context, n int) (time.Duration, error) {
	calls := make([]map[string]any, n)
	for i := range calls {
		calls[i] = map[string]any{"tool_slug": "LOCAL_WAIT", "arguments": map[string]any{"n": i}}
	}
	start := time.Now()
	res, err := c.cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_MULTI_EXECUTE_TOOL", Arguments: map[string]any{"tools": calls}})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return 0, err
	}
	var env struct {
		Successful bool    `json:"successful"`
		Error      *string `json:"error"`
		Data       struct {
			Results []struct {
				Response struct {
					Successful bool    `json:"successful"`
					Error      *string `json:"error"`
				} `json:"response"`
			} `json:"results"`
			ErrorCount int `json:"error_count"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return 0, err
	}
	if !env.Successful || env.Data.ErrorCount != 0 || len(env.Data.Results) != n {
		return 0, fmt.Errorf("multi-execute of %d calls did not succeed: %s", n, raw)
	}
	return elapsed, nil
}

func (b *bench) multiExecute(ctx context.Context) (section, error) {
	api, err := startSlowAPI()
	if err != nil {
		return section{}, err
	}
	defer api.shutdown()
	measure := func(c *multiClient, n, reps int) (samples, error) {
		var s samples
		for range reps {
			d, err := c.execute(ctx, n)
			if err != nil {
				return nil, err
			}
			s = append(s, d)
		}
		return s, nil
	}

	c20, err := b.startMultiClient(ctx, api.url, fanOut)
	if err != nil {
		return section{}, err
	}
	defer c20.cs.Close()
	b.log.Info("multi-execute", "concurrency", fanOut)
	if _, err := measure(c20, fanOut, 3); err != nil { // warm-up: catalog, connections
		return section{}, err
	}
	one, err := measure(c20, 1, b.runs)
	if err != nil {
		return section{}, err
	}
	api.peak.Store(0)
	twenty, err := measure(c20, fanOut, b.runs)
	if err != nil {
		return section{}, err
	}
	peak := api.peak.Load()
	var sums samples
	for range sumReps {
		s, err := measure(c20, 1, fanOut)
		if err != nil {
			return section{}, err
		}
		sums = append(sums, s.sum())
	}

	c8, err := b.startMultiClient(ctx, api.url, 8)
	if err != nil {
		return section{}, err
	}
	defer c8.cs.Close()
	if _, err := measure(c8, fanOut, 2); err != nil {
		return section{}, err
	}
	default8, err := measure(c8, fanOut, b.runs/2)
	if err != nil {
		return section{}, err
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "**What:** one `COMPOSIO_MULTI_EXECUTE_TOOL` request with %d independent calls to a local HTTP API that "+
		"answers each request after %s, against one call alone and against the same %d calls made one after another.\n\n",
		fanOut, apiDelay, fanOut)
	fmt.Fprintf(&sb, "**How:** `toolmux serve` with a config setting `execution.concurrency = %d` and a one-operation OpenAPI "+
		"toolkit pointing at an in-process Go HTTP server (`time.Sleep(%s)` per request), driven by the go-sdk client over "+
		"stdio; wall time is measured in the client around `tools/call`. %d samples of one call and of %d calls after 3 "+
		"warm-up requests; the sum is %d one-call requests back to back, repeated %d times. The API saw at most **%d** "+
		"requests in flight during the %d-call runs. The last row repeats the %d-call run with the default concurrency (8).\n\n",
		fanOut, apiDelay, b.runs, fanOut, fanOut, sumReps, peak, fanOut, fanOut)
	sb.WriteString("| measurement | median | p90 | min | max |\n|---|---:|---:|---:|---:|\n")
	row := func(name string, s samples) {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n", name, ms(s.median()), ms(s.p90()), ms(s.min()), ms(s.max()))
	}
	row("1 call", one)
	row(fmt.Sprintf("%d calls in one request, concurrency %d", fanOut, fanOut), twenty)
	row(fmt.Sprintf("sum: %d one-call requests in sequence", fanOut), sums)
	row(fmt.Sprintf("%d calls in one request, concurrency 8 (default)", fanOut), default8)
	fmt.Fprintf(&sb, "\n**Ratio:** %d calls take **%s** the wall time of one call (goal ≤ 1.3× at concurrency ≥ 20 — %s) and "+
		"**%s** the time of making them one by one (%s faster). With the default concurrency of 8 the calls run in %d waves: "+
		"%s one call.\n",
		fanOut, ratio(twenty.median(), one.median()), verdict(float64(twenty.median()) <= 1.3*float64(one.median())),
		ratio(twenty.median(), sums.median()), ratio(sums.median(), twenty.median()), (fanOut+7)/8, ratio(default8.median(), one.median()))
	return section{
		title: "Multi-execute fan-out",
		body:  sb.String(),
		summary: fmt.Sprintf("20 calls %s vs 1 call %s (%s) vs sum %s (%s); concurrency 8: %s",
			ms(twenty.median()), ms(one.median()), ratio(twenty.median(), one.median()), ms(sums.median()),
			ratio(twenty.median(), sums.median()), ms(default8.median())),
	}, nil
}
