package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/toolmux/toolmux/tools"
)

// aboutDoc is an OpenAPI 3.0 document whose operations return their objects in the shapes APIs use: the object
// itself by $ref, a plain array, a list object ({"object": "list", "data": [...]}), a data envelope around an allOf
// chain, a pagination object with a description of its own, an object that merely has an array property, and an
// error as the default response.
const aboutDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "About", "version": "1"},
  "servers": [{"url": "https://api.example.com"}],
  "tags": [
    {"name": "Stories", "description": "*See [our forum post](https://forum.example.com/t/1) for more.*\n\nA story represents an activity associated with an object."},
    {"name": "Boards", "description": "A board shows the cards of a project in columns. See [the guide](/docs/boards)."},
    {"name": "Empty"}
  ],
  "paths": {
    "/portal/sessions": {"post": {"operationId": "createPortalSession", "summary": "Create a portal session",
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/portal_session"}}}}}}},
    "/stories": {
      "get": {"operationId": "listStories", "tags": ["Stories"], "summary": "List stories",
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Story"}}}}}}},
      "post": {"operationId": "createStory", "tags": ["Stories", "Boards", "Empty", "Unknown"], "summary": "Create a story",
        "responses": {"201": {"description": "OK", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/StoryResponse"}}}}}}}}
    },
    "/customers": {"get": {"operationId": "listCustomers", "summary": "List customers",
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "object": {"type": "string", "enum": ["list"]}, "has_more": {"type": "boolean"}, "url": {"type": "string"},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/customer"}}}}}}}}}},
    "/meetings": {"get": {"operationId": "listMeetings", "summary": "List meetings",
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MeetingList"}}}}}}},
    "/repos/{id}": {"get": {"operationId": "getRepo", "summary": "Get a repository",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Repo"}}}}}}},
    "/things/{id}": {"delete": {"operationId": "deleteThing", "summary": "Delete a thing",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"204": {"description": "Deleted"}, "default": {"description": "Error", "content": {"application/json": {"schema": {"description": "A generic error.", "type": "object"}}}}}}},
    "/echo": {"post": {"operationId": "echo", "summary": "Echo", "description": "Returns what it was sent.",
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"description": "Returns what it was sent.", "type": "object"}}}}}}}
  },
  "components": {"schemas": {
    "portal_session": {"type": "object", "description": "The customer portal is a hosted page where customers manage their subscriptions and billing details.", "properties": {"url": {"type": "string"}}},
    "Resource": {"type": "object", "description": "A generic resource with an identifier.", "properties": {"gid": {"type": "string"}}},
    "StoryBase": {"allOf": [{"$ref": "#/components/schemas/Resource"}, {"type": "object", "description": "A story is an entry in the activity feed of a task.", "properties": {"text": {"type": "string"}}}]},
    "StoryResponse": {"allOf": [{"$ref": "#/components/schemas/StoryBase"}, {"type": "object", "properties": {"created_at": {"type": "string"}}}]},
    "Story": {"$ref": "#/components/schemas/StoryBase"},
    "customer": {"type": "object", "description": "This object represents a customer of your business.", "properties": {"id": {"type": "string"}}},
    "Meeting": {"type": "object", "description": "A meeting is a scheduled video call.", "properties": {"id": {"type": "integer"}}},
    "MeetingList": {"type": "object", "description": "Pagination object.", "properties": {
      "page_count": {"type": "integer"}, "next_page_token": {"type": "string"},
      "meetings": {"type": "array", "items": {"$ref": "#/components/schemas/Meeting"}}}},
    "Repo": {"type": "object", "description": "A repository holds code.", "properties": {
      "name": {"type": "string"}, "owner": {"type": "object", "properties": {"login": {"type": "string"}}},
      "topics": {"type": "array", "items": {"type": "string", "description": "A topic."}}}}
  }}
}`

func TestImportAbout(t *testing.T) {
	tk, _, err := Import(context.Background(), "about.json", []byte(aboutDoc), Options{Slug: "ex"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, slug string
		want       []string
	}{
		{"response schema by $ref", "EX_CREATEPORTALSESSION",
			[]string{"The customer portal is a hosted page where customers manage their subscriptions and billing details."}},
		{"tag description, markdown links cut; array items through a $ref chain and allOf", "EX_LISTSTORIES",
			[]string{"*See [our forum post] for more.* A story represents an activity associated with an object.", "A story is an entry in the activity feed of a task."}},
		{"every tag with a description, then the data envelope's allOf chain: the inline part before the base", "EX_CREATESTORY",
			[]string{"*See [our forum post] for more.* A story represents an activity associated with an object.", "A board shows the cards of a project in columns. See [the guide].", "A story is an entry in the activity feed of a task."}},
		{"list object: the items of data", "EX_LISTCUSTOMERS", []string{"This object represents a customer of your business."}},
		{"pagination object: what it holds before its own description", "EX_LISTMEETINGS", []string{"A meeting is a scheduled video call."}},
		{"an object with an array property is not a list", "EX_GETREPO", []string{"A repository holds code."}},
		{"the default response is an error, not the result", "EX_DELETETHING", nil},
		{"a text the tool's own description says is left out", "EX_ECHO", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := toolBySlug(t, tk, tc.slug).About
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("About of %s (-want +got):\n%s", tc.slug, diff)
			}
		})
	}
}

func TestAboutText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  A  *tag*\n\n is a label.  ", "A *tag* is a label."},
		{"See [the docs](https://example.com/a(b)) and [this](/x).", "See [the docs]) and [this]."},
		{"An unclosed [link](/x and more", "An unclosed [link](/x and more"},
	}
	for _, tc := range tests {
		if got := aboutText(tc.in); got != tc.want {
			t.Errorf("aboutText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("A task is a unit of work. ", 100)
	if got := aboutText(long); len(got) > maxAbout || !strings.HasSuffix(got, ".") {
		t.Errorf("aboutText of %d bytes = %d bytes ending %q, want at most %d ending at a sentence", len(long), len(got), got[len(got)-5:], maxAbout)
	}
}

// TestImportAboutRealSpecs checks the texts on documents of the evaluation set: Asana's tag descriptions and its
// data envelopes, Stripe's list objects and the object of its billing portal.
func TestImportAboutRealSpecs(t *testing.T) {
	if testing.Short() {
		t.Skip("imports large documents")
	}
	tests := []struct {
		file, slug, want string
	}{
		{"asana.com.json", "ASANA_GETATTACHMENT", "An *attachment* object represents any file attached to a task"},
		{"asana.com.json", "ASANA_GETSTORIESFORTASK", "A story represents an activity associated with an object"},
		{"stripe.com.json", "STRIPE_POSTBILLINGPORTALSESSIONS", "The Billing customer portal is a Stripe-hosted UI for subscription and billing management."},
		{"stripe.com.json", "STRIPE_GETCUSTOMERS", "This object represents a customer of your business."},
	}
	kits := map[string]*tools.Toolkit{}
	for _, tc := range tests {
		tk := kits[tc.file]
		if tk == nil {
			data := readExternal(t, evalDir+"/specs/"+tc.file)
			var err error
			tk, _, err = Import(context.Background(), tc.file, data, Options{Slug: strings.Split(tc.file, ".")[0]})
			if err != nil {
				t.Fatal(err)
			}
			kits[tc.file] = tk
		}
		about := strings.Join(toolBySlug(t, tk, tc.slug).About, "\n")
		if !strings.Contains(about, tc.want) {
			t.Errorf("About of %s = %q, want it to contain %q", tc.slug, about, tc.want)
		}
	}
}

// TestIndexSameFromCache checks that a catalog read back from JSON, as the compiled-catalog cache stores it,
// indexes as the imported one does: encoding/json escapes <, > and & inside schemas, and About survives.
func TestIndexSameFromCache(t *testing.T) {
	if testing.Short() {
		t.Skip("imports large documents")
	}
	var fresh, cached []*tools.Toolkit
	for _, spec := range [][2]string{{"asana", "asana.com.json"}, {"stripe", "stripe.com.json"}, {"slack", "slack_web_openapi_v2.json"}} {
		tk, _, err := Import(context.Background(), spec[1], readExternal(t, evalDir+"/specs/"+spec[1]), Options{Slug: spec[0]})
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		var back tools.Toolkit
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		fresh, cached = append(fresh, tk), append(cached, &back)
	}
	a, err := tools.NewCatalog(fresh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tools.NewCatalog(cached)
	if err != nil {
		t.Fatal(err)
	}
	ia, ib := tools.NewIndex(a.Tools()), tools.NewIndex(b.Tools())
	if sa, sb := ia.Stats(), ib.Stats(); sa != sb {
		t.Errorf("index of the imported catalog %+v, of the cached one %+v", sa, sb)
	}
	for _, q := range []string{"let the customer manage their billing details", "clone the board", "post a message in a channel"} {
		var ha, hb []string
		for _, h := range ia.Search(q, nil, 10) {
			ha = append(ha, fmt.Sprintf("%s %.4f", h.Tool.Slug, h.Score))
		}
		for _, h := range ib.Search(q, nil, 10) {
			hb = append(hb, fmt.Sprintf("%s %.4f", h.Tool.Slug, h.Score))
		}
		if diff := cmp.Diff(ha, hb); diff != "" {
			t.Errorf("Search(%q) imported vs cached (-imported +cached):\n%s", q, diff)
		}
	}
}
