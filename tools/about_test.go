package tools

import (
	"fmt"
	"testing"
)

// TestSearchAbout checks that what the source says of a tool's object (Tool.About) finds the tool by a user's word
// for that object, below the tools whose own names say it; that a sentence said of many different resources is
// boilerplate and not indexed; and that About words do not change the document frequencies of the other fields.
func TestSearchAbout(t *testing.T) {
	const playbook = "A playbook is the runbook of steps an on-call engineer follows."
	const empty = "An empty object: the endpoint returns nothing on success."
	about := func(tool *Tool, texts ...string) *Tool {
		tool.About = texts
		return tool
	}
	ts := []*Tool{
		about(httpTool("work", "duplicatePlaybook", "POST", "/playbooks/{playbook}/duplicate", "Duplicate a playbook", "Copies a playbook."), playbook),
		about(httpTool("work", "getPlaybook", "GET", "/playbooks/{playbook}", "Get a playbook", "Returns a playbook."), playbook),
		about(httpTool("work", "duplicateItem", "POST", "/items/{item}/duplicate", "Duplicate an item", "Copies an item."), "An item is a unit of work."),
		about(httpTool("work", "getItem", "GET", "/items/{item}", "Get an item", "Returns an item."), "An item is a unit of work."),
	}
	for i, res := range []string{"tags", "sections", "stories", "goals", "teams", "users", "webhooks", "portfolios"} {
		ts = append(ts, about(httpTool("work", fmt.Sprintf("delete%d", i), "DELETE", "/"+res+"/{id}", "Delete one of the "+res, "Deletes it."), empty))
	}
	ix := NewIndex(ts)
	if hits := ix.Search("duplicate the runbook", nil, 3); len(hits) == 0 || hits[0].Tool.Slug != "WORK_DUPLICATEPLAYBOOK" {
		t.Errorf("Search(duplicate the runbook) = %v, want the playbook's duplicate, a playbook being a runbook, first", slugs(hits))
	}
	named := NewIndex(append(ts[:len(ts):len(ts)], httpTool("ops", "getRunbook", "GET", "/runbooks/{runbook}", "Get a runbook", "Returns a runbook.")))
	if hits := named.Search("get the runbook", nil, 3); len(hits) < 2 || hits[0].Tool.Slug != "OPS_GETRUNBOOK" || hits[1].Tool.Slug != "WORK_GETPLAYBOOK" {
		t.Errorf("Search(get the runbook) = %v, want the tool named for runbooks, then the playbook", slugs(hits))
	}
	without := NewIndexWith(ts, func() SearchParams { p := DefaultSearchParams; p.FieldWeight[fieldAbout] = 0; return p }())
	if hits := without.Search("duplicate the runbook", nil, 3); len(hits) > 0 && hits[0].Tool.Slug == "WORK_DUPLICATEPLAYBOOK" {
		t.Errorf("without About, Search(duplicate the runbook) = %v: the test does not show what About adds", slugs(hits))
	}
	// "empty" is only in the sentence said of eight different resources.
	if id, ok := ix.vocab[Stem("empty")]; ok {
		t.Errorf("the boilerplate sentence was indexed: %d tools have %q", ix.df[id], "empty")
	}
	// "runbook" is in the About of two tools and the name of one: its document frequency is that of the name.
	namedWithout := NewIndexWith(named.tools, without.params)
	id := named.vocab[Stem("runbook")]
	if named.df[id] != 1 || named.idf[id] != namedWithout.idf[namedWithout.vocab[Stem("runbook")]] {
		t.Errorf("df of runbook = %d, idf %v; want 1 and the idf of an index without About (%v)", named.df[id], named.idf[id], namedWithout.idf[namedWithout.vocab[Stem("runbook")]])
	}
	p := DefaultSearchParams
	if p.FieldWeight[fieldAbout] <= 0 || p.FieldWeight[fieldAbout] > p.FieldWeight[fieldDesc] {
		t.Errorf("About weighs %v against the description's %v: want a small positive weight", p.FieldWeight[fieldAbout], p.FieldWeight[fieldDesc])
	}
	// The per-tool cap: the first sentence of each text first.
	q := DefaultSearchParams
	q.MaxAboutTerms = 4
	capped := NewIndexWith([]*Tool{about(httpTool("big", "op", "POST", "/op", "Do it", "Does it."),
		"Alpha beta gamma delta. Epsilon zeta eta theta.", "Iota kappa lambda mu.")}, q)
	for _, w := range []string{"alpha", "beta", "iota", "kappa"} {
		if _, ok := capped.vocab[Stem(w)]; !ok {
			t.Errorf("%q of a first sentence is not indexed with MaxAboutTerms 4", w)
		}
	}
	for _, w := range []string{"gamma", "epsilon", "lambda"} {
		if _, ok := capped.vocab[Stem(w)]; ok {
			t.Errorf("%q is indexed past MaxAboutTerms 4", w)
		}
	}
}
