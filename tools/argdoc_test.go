package tools

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadArgDoc(t *testing.T) {
	envelope := &HTTPBinding{Method: "POST", Path: "/statuses", Body: &HTTPBody{ContentType: "application/json", Props: map[string]string{"data": "data"}}}
	tests := []struct {
		name     string
		schema   string
		http     *HTTPBinding
		maxBytes int
		want     argDoc
	}{
		{
			name:     "descriptions and enum values of the arguments, in the document's order",
			schema:   `{"type":"object","properties":{"status":{"type":"string","description":"Where it stands.","enum":["on_track","at_risk",""]},"limit":{"type":"integer","description":"The number of results to return on each page."}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"Where it stands.", "on_track at_risk", "The number of results to return on each page."}},
		},
		{
			name:     "fields of an object argument after all arguments, with their names; nothing deeper",
			schema:   `{"properties":{"pause_collection":{"description":"Payment collection will be paused.","properties":{"behavior":{"enum":["keep_as_draft","void"],"properties":{"deep":{"description":"too deep"}}}}},"coupon":{"description":"The coupon."}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"Payment collection will be paused.", "The coupon.", "behavior", "keep_as_draft void"}},
		},
		{
			name:     "anyOf, oneOf and items branches",
			schema:   `{"properties":{"tax":{"anyOf":[{"description":"A rate.","enum":["inclusive"]},{"type":"string","enum":[""]}]},"tags":{"type":"array","items":{"properties":{"label":{"description":"A label."}}}}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"A rate.", "inclusive", "label", "A label."}},
		},
		{
			name:     "escapes decoded, odd ones as spaces",
			schema:   `{"properties":{"a":{"description":"Say \"hi\"\nto the user\u2019s team \\ now"}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"Say \"hi\" to the user s team \\ now"}},
		},
		{
			name:     "escaped ASCII as encoding/json writes it (a cached catalog) reads as the character",
			schema:   `{"properties":{"a":{"description":"The \u003ccode\u003ename\u003c/code\u003e \u0026 \u00e9 \u001f."}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"The <code>name</code> &    ."}},
		},
		{
			name:     "an envelope's fields are arguments",
			schema:   `{"properties":{"data":{"description":"A resource.","properties":{"status_type":{"enum":["on_track"]},"text":{"type":"string"}}},"opt_pretty":{"type":"boolean"}}}`,
			http:     envelope,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"A resource.", "status_type", "on_track", "text"}, envelope: []string{"status_type", "text"}},
		},
		{
			name:     "the byte budget stops reading",
			schema:   `{"properties":{"a":{"description":"First argument."},"b":{"description":"Second argument."},"c":{"description":"Third."}}}`,
			maxBytes: 20,
			want:     argDoc{texts: []string{"First argument.", "Second argument."}},
		},
		{
			name:     "the budget counts the text, not its escapes: a cached schema keeps the same texts",
			schema:   `{"properties":{"a":{"description":"\u003ccode\u003eA\u003c/code\u003e"},"b":{"description":"Second."}}}`,
			maxBytes: 15,
			want:     argDoc{texts: []string{"<code>A</code>", "Second."}},
		},
		{
			name:     "escapes in enum values decoded",
			schema:   `{"properties":{"a":{"enum":["r\u0026d","ops"]}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"r&d ops"}},
		},
		{
			name:     "schemas nested past maxNest are skipped",
			schema:   `{"properties":{"a":` + strings.Repeat(`{"anyOf":[`, 100) + `{"description":"deep"}` + strings.Repeat(`]}`, 100) + `,"b":{"description":"shallow"}}}`,
			maxBytes: 1000,
			want:     argDoc{texts: []string{"shallow"}},
		},
		{name: "malformed JSON", schema: `{"properties":{"a":{"description":"x"`, maxBytes: 1000},
		{name: "not an object", schema: `[1,2]`, maxBytes: 1000},
		{name: "empty", schema: ``, maxBytes: 1000},
	}
	var sc schemaScanner
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readArgDoc(&sc, &Tool{InputSchema: []byte(tt.schema), HTTP: tt.http}, tt.maxBytes)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(argDoc{})); diff != "" {
				t.Errorf("readArgDoc (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzReadArgDoc checks that no input schema, however broken, makes the scanner panic or loop, and that what it
// returns is within the budget's reach.
func FuzzReadArgDoc(f *testing.F) {
	for _, s := range []string{
		`{"properties":{"a":{"description":"x","enum":["b","c"]}}}`,
		`{"properties":{"data":{"properties":{"x":{"anyOf":[{"items":{"enum":[1,"y"]}}]}}}}}`,
		`{"description":"\"\\\u00e9","properties":{}}`,
		`{"properties":{"a":{"description":"unterminated`,
		`{"properties":[1,{"a":2}],"enum":{"x":1}}`,
		`"just a string"`, `{`, `}`, `{"a"`, `{"a":}`, `{"properties":{"a":"\\"}}`,
	} {
		f.Add([]byte(s))
	}
	var sc schemaScanner
	f.Fuzz(func(t *testing.T, schema []byte) {
		tool := &Tool{InputSchema: schema, HTTP: &HTTPBinding{Method: "POST", Path: "/x", Body: &HTTPBody{Props: map[string]string{"data": "data"}}}}
		d := readArgDoc(&sc, tool, 200)
		size := 0
		for _, text := range d.texts {
			size += len(text)
		}
		if size > 200+len(schema) {
			t.Errorf("texts of %d bytes from a schema of %d", size, len(schema))
		}
		if got := readArgDoc(&sc, tool, 200); !cmp.Equal(d, got, cmp.AllowUnexported(argDoc{})) {
			t.Errorf("a reused scanner reads %q differently", schema)
		}
	})
}

// TestSearchArgumentTexts checks that what the arguments say of themselves finds an operation its name and
// description do not ("at risk" is a value of a status update's status), at a weight below the tool's own words,
// and that the fields of a body envelope count as the operation's parameters.
func TestSearchArgumentTexts(t *testing.T) {
	withSchema := func(tool *Tool, schema string, body *HTTPBody) *Tool {
		tool.InputSchema = []byte(schema)
		tool.HTTP.Body = body
		return tool
	}
	envelope := &HTTPBody{ContentType: "application/json", Props: map[string]string{"data": "data"}}
	ts := []*Tool{
		withSchema(httpTool("work", "createStatus", "POST", "/status_updates", "Create a status update", "Creates a status update on an object."),
			`{"properties":{"data":{"properties":{"status_type":{"description":"How the work stands.","enum":["on_track","at_risk","off_track"]},"text":{"type":"string"}}}}}`, envelope),
		withSchema(httpTool("work", "createStory", "POST", "/stories", "Create a story", "Adds a story to a task."),
			`{"properties":{"data":{"properties":{"text":{"type":"string"}}}}}`, envelope),
		withSchema(httpTool("work", "updateTask", "PUT", "/tasks/{task}", "Update a task", "Updates a task."),
			`{"properties":{"data":{"properties":{"due_date":{"type":"string"},"name":{"type":"string"}}}}}`, envelope),
		withSchema(httpTool("work", "getRisks", "GET", "/risks", "List risks", "Lists the risks of a project."),
			`{"properties":{"limit":{"type":"integer","description":"The number of results to return on each page."}}}`, nil),
	}
	for i := range 6 {
		ts = append(ts, withSchema(httpTool("work", fmt.Sprintf("getThing%d", i), "GET", fmt.Sprintf("/things%d", i), fmt.Sprintf("Get thing %d", i), "Returns a thing."),
			`{"properties":{"limit":{"type":"integer","description":"The number of results to return on each page."}}}`, nil))
	}
	ix := NewIndex(ts)
	if hits := ix.Search("post an update: we are at risk", nil, 3); len(hits) == 0 || hits[0].Tool.Slug != "WORK_CREATESTATUS" {
		t.Errorf("Search(at risk) = %v, want the status update, whose status takes at_risk, first", slugs(hits))
	}
	if hits := ix.Search("list the risks", nil, 3); len(hits) == 0 || hits[0].Tool.Slug != "WORK_GETRISKS" {
		t.Errorf("Search(list the risks) = %v, want the operation named for risks first", slugs(hits))
	}
	// "The number of results to return on each page." is in every tool's arguments: boilerplate, not indexed.
	if id, ok := ix.vocab[Stem("page")]; ok {
		t.Errorf("the boilerplate argument description was indexed: %d tools have %q", ix.df[id], "page")
	}
	// The envelope's due_date is a parameter phrase of updateTask (the third tool).
	found := false
	for _, pp := range ix.fields[Stem("due")] {
		if strings.Join(pp.terms, " ") == Stem("due")+" "+Stem("date") && slices.Contains(pp.docs, 2) {
			found = true
		}
	}
	if !found {
		t.Errorf("the envelope field due_date is not a parameter phrase of updateTask: %+v", ix.fields[Stem("due")])
	}
	p := DefaultSearchParams
	if p.FieldWeight[fieldParamDesc] >= p.FieldWeight[fieldDesc] || p.FieldWeight[fieldParamDesc] <= 0 {
		t.Errorf("argument texts weigh %v against the description's %v: want a small positive weight", p.FieldWeight[fieldParamDesc], p.FieldWeight[fieldDesc])
	}
	// The per-tool cap.
	long := withSchema(httpTool("big", "op", "POST", "/op", "Do it", "Does it."), `{"properties":{`+strings.Repeat(`"a":{"description":"alpha beta gamma delta epsilon zeta eta theta"},`, 50)+`"z":{}}}`, nil)
	q := DefaultSearchParams
	q.MaxParamDescTerms = 10
	big := NewIndexWith([]*Tool{long}, q)
	terms := 0
	for _, post := range big.postings {
		terms += len(post)
	}
	if terms > 4+10 { // the name, description and path words, and ten argument terms
		t.Errorf("a tool with long argument texts has %d terms with MaxParamDescTerms 10", terms)
	}
}
