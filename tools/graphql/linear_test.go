package graphql_test

// Every tool of the curated Linear toolkit runs against an httptest fake of api.linear.app/graphql that checks what
// Linear documents for a request (POST, JSON body with query, operationName and variables; the API key in
// Authorization without "Bearer", OAuth tokens with it) and answers with data shaped like Linear's.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/toolkits"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/graphql"
	"github.com/toolmux/toolmux/tools/openapi"
)

const linearKey = "lin_api_0123456789abcdef"

// linearCall is one tool call, the variables Linear must receive, the data it answers and the tool's result.
type linearCall struct {
	tool      string
	args      map[string]any
	operation string
	data      string // the "data" member of the answer
	want      string // the tool's result, JSON
}

var linearCalls = []linearCall{
	{
		tool: "LINEAR_GET_VIEWER", args: map[string]any{}, operation: "Viewer",
		data: `{"viewer":{"id":"u-1","name":"Ana Ruiz","displayName":"ana","email":"ana@example.com","admin":false,"organization":{"id":"o-1","name":"Acme","urlKey":"acme"}}}`,
		want: `{"id":"u-1","name":"Ana Ruiz","displayName":"ana","email":"ana@example.com","admin":false,"organization":{"id":"o-1","name":"Acme","urlKey":"acme"}}`,
	},
	{
		tool: "LINEAR_LIST_TEAMS", args: map[string]any{"first": 10}, operation: "Teams",
		data: `{"teams":{"nodes":[{"id":"t-1","key":"ENG","name":"Engineering","description":null,"private":false}],"pageInfo":{"hasNextPage":false,"endCursor":"c1"}}}`,
		want: `{"nodes":[{"id":"t-1","key":"ENG","name":"Engineering","description":null,"private":false}],"pageInfo":{"hasNextPage":false,"endCursor":"c1"}}`,
	},
	{
		tool: "LINEAR_LIST_ISSUE_STATES", args: map[string]any{"teamId": "t-1"}, operation: "TeamStates",
		data: `{"team":{"states":{"nodes":[{"id":"s-1","name":"Todo","type":"unstarted","position":1,"color":"#e2e2e2"},{"id":"s-2","name":"Done","type":"completed","position":3,"color":"#5e6ad2"}]}}}`,
		want: `{"nodes":[{"id":"s-1","name":"Todo","type":"unstarted","position":1,"color":"#e2e2e2"},{"id":"s-2","name":"Done","type":"completed","position":3,"color":"#5e6ad2"}]}`,
	},
	{
		tool: "LINEAR_LIST_PROJECTS", args: map[string]any{"filter": map[string]any{"name": map[string]any{"containsIgnoreCase": "launch"}}}, operation: "Projects",
		data: `{"projects":{"nodes":[{"id":"p-1","name":"Launch","description":"","url":"https://linear.app/acme/project/launch","progress":0.4,"startDate":"2025-01-06","targetDate":"2025-03-31","lead":{"id":"u-1","name":"Ana Ruiz"},"teams":{"nodes":[{"id":"t-1","key":"ENG"}]}}],"pageInfo":{"hasNextPage":false,"endCursor":null}}}`,
		want: `{"nodes":[{"id":"p-1","name":"Launch","description":"","url":"https://linear.app/acme/project/launch","progress":0.4,"startDate":"2025-01-06","targetDate":"2025-03-31","lead":{"id":"u-1","name":"Ana Ruiz"},"teams":{"nodes":[{"id":"t-1","key":"ENG"}]}}],"pageInfo":{"hasNextPage":false,"endCursor":null}}`,
	},
	{
		tool: "LINEAR_LIST_CYCLES", args: map[string]any{"teamId": "t-1", "first": 5}, operation: "TeamCycles",
		data: `{"team":{"cycles":{"nodes":[{"id":"cy-1","number":12,"name":null,"startsAt":"2025-03-03T00:00:00.000Z","endsAt":"2025-03-17T00:00:00.000Z","progress":0.25,"isActive":true,"isFuture":false,"isPast":false}],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}}}`,
		want: `{"nodes":[{"id":"cy-1","number":12,"name":null,"startsAt":"2025-03-03T00:00:00.000Z","endsAt":"2025-03-17T00:00:00.000Z","progress":0.25,"isActive":true,"isFuture":false,"isPast":false}],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}`,
	},
	{
		tool: "LINEAR_LIST_ISSUES", operation: "Issues",
		args: map[string]any{"filter": map[string]any{"assignee": map[string]any{"isMe": map[string]any{"eq": true}}}, "first": 25},
		data: `{"issues":{"nodes":[{"id":"i-1","identifier":"ENG-123","title":"Fix login","priority":2,"priorityLabel":"High","estimate":null,"dueDate":null,"url":"https://linear.app/acme/issue/ENG-123","createdAt":"2025-03-01T10:00:00.000Z","updatedAt":"2025-03-02T10:00:00.000Z","state":{"id":"s-1","name":"Todo","type":"unstarted"},"assignee":{"id":"u-1","name":"Ana Ruiz"},"team":{"id":"t-1","key":"ENG"},"project":null,"cycle":null,"labels":{"nodes":[]}}],"pageInfo":{"hasNextPage":true,"endCursor":"c2"}}}`,
		want: `{"nodes":[{"id":"i-1","identifier":"ENG-123","title":"Fix login","priority":2,"priorityLabel":"High","estimate":null,"dueDate":null,"url":"https://linear.app/acme/issue/ENG-123","createdAt":"2025-03-01T10:00:00.000Z","updatedAt":"2025-03-02T10:00:00.000Z","state":{"id":"s-1","name":"Todo","type":"unstarted"},"assignee":{"id":"u-1","name":"Ana Ruiz"},"team":{"id":"t-1","key":"ENG"},"project":null,"cycle":null,"labels":{"nodes":[]}}],"pageInfo":{"hasNextPage":true,"endCursor":"c2"}}`,
	},
	{
		tool: "LINEAR_SEARCH_ISSUES", args: map[string]any{"term": "login timeout", "includeComments": true}, operation: "SearchIssues",
		data: `{"searchIssues":{"nodes":[{"id":"i-1","identifier":"ENG-123","title":"Fix login","priority":2,"url":"https://linear.app/acme/issue/ENG-123","updatedAt":"2025-03-02T10:00:00.000Z","state":{"name":"Todo","type":"unstarted"},"assignee":{"name":"Ana Ruiz"},"team":{"key":"ENG"}}],"pageInfo":{"hasNextPage":false,"endCursor":"c"},"totalCount":1}}`,
		want: `{"nodes":[{"id":"i-1","identifier":"ENG-123","title":"Fix login","priority":2,"url":"https://linear.app/acme/issue/ENG-123","updatedAt":"2025-03-02T10:00:00.000Z","state":{"name":"Todo","type":"unstarted"},"assignee":{"name":"Ana Ruiz"},"team":{"key":"ENG"}}],"pageInfo":{"hasNextPage":false,"endCursor":"c"},"totalCount":1}`,
	},
	{
		tool: "LINEAR_GET_ISSUE", args: map[string]any{"id": "ENG-123"}, operation: "Issue",
		data: `{"issue":{"id":"i-1","identifier":"ENG-123","title":"Fix login","description":"Steps: ...","comments":{"nodes":[{"id":"cm-1","body":"On it","createdAt":"2025-03-02T11:00:00.000Z","user":{"id":"u-1","name":"Ana Ruiz"}}]}}}`,
		want: `{"id":"i-1","identifier":"ENG-123","title":"Fix login","description":"Steps: ...","comments":{"nodes":[{"id":"cm-1","body":"On it","createdAt":"2025-03-02T11:00:00.000Z","user":{"id":"u-1","name":"Ana Ruiz"}}]}}`,
	},
	{
		tool: "LINEAR_CREATE_ISSUE", operation: "IssueCreate",
		args: map[string]any{"teamId": "t-1", "title": "Fix login", "description": "Steps: ...", "priority": 2, "labelIds": []any{"l-1"}, "dueDate": "2025-03-31"},
		data: `{"issueCreate":{"success":true,"issue":{"id":"i-1","identifier":"ENG-123","title":"Fix login","url":"https://linear.app/acme/issue/ENG-123","state":{"name":"Todo"},"assignee":null}}}`,
		want: `{"success":true,"issue":{"id":"i-1","identifier":"ENG-123","title":"Fix login","url":"https://linear.app/acme/issue/ENG-123","state":{"name":"Todo"},"assignee":null}}`,
	},
	{
		tool: "LINEAR_UPDATE_ISSUE", args: map[string]any{"id": "ENG-123", "stateId": "s-2", "priority": 1}, operation: "IssueUpdate",
		data: `{"issueUpdate":{"success":true,"issue":{"id":"i-1","identifier":"ENG-123","title":"Fix login","url":"https://linear.app/acme/issue/ENG-123","state":{"name":"Done","type":"completed"},"assignee":{"name":"Ana Ruiz"},"priority":1}}}`,
		want: `{"success":true,"issue":{"id":"i-1","identifier":"ENG-123","title":"Fix login","url":"https://linear.app/acme/issue/ENG-123","state":{"name":"Done","type":"completed"},"assignee":{"name":"Ana Ruiz"},"priority":1}}`,
	},
	{
		tool: "LINEAR_CREATE_COMMENT", args: map[string]any{"issueId": "ENG-123", "body": "Fixed in **#42**"}, operation: "CommentCreate",
		data: `{"commentCreate":{"success":true,"comment":{"id":"cm-2","body":"Fixed in **#42**","url":"https://linear.app/acme/issue/ENG-123#comment-cm2","createdAt":"2025-03-03T09:00:00.000Z"}}}`,
		want: `{"success":true,"comment":{"id":"cm-2","body":"Fixed in **#42**","url":"https://linear.app/acme/issue/ENG-123#comment-cm2","createdAt":"2025-03-03T09:00:00.000Z"}}`,
	},
}

// fakeLinear answers like api.linear.app/graphql: it checks the request and returns answer(op) for the operation.
func fakeLinear(t *testing.T, wantAuth string, answer func(op string, vars map[string]any) (int, string)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != http.MethodPost || r.URL.Path != "/graphql" || r.URL.RawQuery != "" {
			t.Errorf("request %s %s; Linear takes POST /graphql", r.Method, r.URL)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		if got := r.Header.Get("Authorization"); got != wantAuth {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","statusCode":401,"userPresentableMessage":"You need to authenticate to access this operation."}}]}`)
			return
		}
		var body struct {
			Query         string         `json:"query"`
			OperationName string         `json:"operationName"`
			Variables     map[string]any `json:"variables"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			t.Errorf("request body: %v", err)
		}
		op, err := graphql.ParseOperation(body.Query)
		if err != nil {
			t.Errorf("query does not parse: %v", err)
		}
		if op.Name != body.OperationName {
			t.Errorf("operationName %q, but the query's operation is %q", body.OperationName, op.Name)
		}
		status, out := answer(body.OperationName, body.Variables)
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func linearToolkit(t *testing.T) *tools.Toolkit {
	t.Helper()
	defs, err := toolkits.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d.Slug == "linear" {
			tk, err := d.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
	}
	t.Fatal("no built-in linear toolkit")
	return nil
}

func toolBySlug(t *testing.T, tk *tools.Toolkit, slug string) *tools.Tool {
	t.Helper()
	for _, x := range tk.Tools {
		if x.Slug == slug {
			return x
		}
	}
	t.Fatalf("no tool %s", slug)
	return nil
}

func apiKeyAuth(tk *tools.Toolkit, scheme string) openapi.StaticAuth {
	for _, s := range tk.AuthSchemes {
		if s.Scheme == scheme {
			return openapi.StaticAuth{Scheme: s, Secret: linearKey}
		}
	}
	return openapi.StaticAuth{}
}

func TestLinearEveryTool(t *testing.T) {
	tk := linearToolkit(t)
	covered := map[string]bool{}
	byOp := map[string]linearCall{}
	for _, c := range linearCalls {
		byOp[c.operation] = c
	}
	srv := fakeLinear(t, linearKey, func(op string, vars map[string]any) (int, string) {
		c, ok := byOp[op]
		if !ok {
			t.Errorf("unexpected operation %q", op)
			return 200, `{"data":null}`
		}
		wantVars, _ := json.Marshal(c.args)
		gotVars, _ := json.Marshal(vars)
		if string(wantVars) != string(gotVars) {
			t.Errorf("%s variables %s, want %s", op, gotVars, wantVars)
		}
		return 200, `{"data":` + c.data + `}`
	})
	ex := &graphql.Executor{Endpoint: srv.URL + "/graphql", Toolkit: "linear", Name: "Linear", Auth: apiKeyAuth(tk, tools.SchemeAPIKey)}
	var v tools.Validator
	for _, c := range linearCalls {
		t.Run(c.tool, func(t *testing.T) {
			tool := toolBySlug(t, tk, c.tool)
			covered[c.tool] = true
			if err := v.Validate(tool, c.args); err != nil {
				t.Fatalf("arguments rejected by the tool's schema: %v", err)
			}
			if tool.GraphQL.OperationName != c.operation {
				t.Errorf("operation %q, want %q", tool.GraphQL.OperationName, c.operation)
			}
			res, err := ex.Execute(context.Background(), tools.Call{Tool: tool, Arguments: c.args})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(res.Data)
			var a, b any
			_ = json.Unmarshal(got, &a)
			_ = json.Unmarshal([]byte(c.want), &b)
			if diff := cmp.Diff(b, a); diff != "" || res.Status != 200 {
				t.Errorf("status %d, result (-want +got):\n%s", res.Status, diff)
			}
		})
	}
	for _, tool := range tk.Tools {
		if !covered[tool.Slug] {
			t.Errorf("tool %s has no call in this test", tool.Slug)
		}
	}
}

func TestLinearOAuthSendsBearer(t *testing.T) {
	tk := linearToolkit(t)
	srv := fakeLinear(t, "Bearer "+linearKey, func(string, map[string]any) (int, string) {
		return 200, `{"data":{"viewer":{"id":"u-1","email":"ana@example.com","name":"Ana"}}}`
	})
	ex := &graphql.Executor{Endpoint: srv.URL + "/graphql", Toolkit: "linear", Auth: apiKeyAuth(tk, tools.SchemeOAuth2)}
	res, err := ex.Execute(context.Background(), tools.Call{Tool: toolBySlug(t, tk, "LINEAR_GET_VIEWER")})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := res.Data.(map[string]any); m["email"] != "ana@example.com" {
		t.Errorf("result %v", res.Data)
	}
}

func TestLinearErrors(t *testing.T) {
	tk := linearToolkit(t)
	tests := []struct {
		name   string
		auth   graphql.Authorizer
		status int
		answer string
		want   []string
		none   []string
	}{
		{
			name: "GraphQL errors", auth: apiKeyAuth(tk, tools.SchemeAPIKey), status: 200,
			answer: `{"data":null,"errors":[{"message":"Entity not found: Team","path":["issueCreate"],"extensions":{"code":"INVALID_INPUT","userPresentableMessage":"Could not find referenced Team."}}]}`,
			want:   []string{"Linear API failed IssueCreate", "Entity not found: Team", "Could not find referenced Team.", "(at issueCreate)"},
			none:   []string{"reconnect"},
		},
		{
			name: "wrong key", auth: openapi.StaticAuth{Scheme: tk.AuthSchemes[0], Secret: "lin_api_wrongwrongwrong"},
			want: []string{"400 Bad Request", "Authentication required", "reconnect the account (toolmux connect linear)"},
			none: []string{"lin_api_wrongwrongwrong"},
		},
		{
			name: "no credentials", auth: nil,
			want: []string{"Authentication required", "connect an account (toolmux connect linear)"},
		},
		{
			name: "not GraphQL", auth: apiKeyAuth(tk, tools.SchemeAPIKey), status: 502, answer: `<html><body>Bad gateway</body></html>`,
			want: []string{"502 Bad Gateway", "Bad gateway", "retrying later may help"},
		},
		{
			name: "rate limited", auth: apiKeyAuth(tk, tools.SchemeAPIKey), status: 400,
			answer: `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`,
			want:   []string{"Rate limit exceeded", "wait before retrying"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeLinear(t, linearKey, func(string, map[string]any) (int, string) { return tt.status, tt.answer })
			ex := &graphql.Executor{Endpoint: srv.URL + "/graphql", Toolkit: "linear", Name: "Linear", Auth: tt.auth}
			args := map[string]any{"teamId": "t-404", "title": "x"}
			_, err := ex.Execute(context.Background(), tools.Call{Tool: toolBySlug(t, tk, "LINEAR_CREATE_ISSUE"), Arguments: args})
			var gerr *graphql.Error
			if !errors.As(err, &gerr) {
				t.Fatalf("err = %v (%T), want *graphql.Error", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range tt.none {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q must not contain %q", err, n)
				}
			}
		})
	}
}
