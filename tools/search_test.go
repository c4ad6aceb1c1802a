package tools

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// httpTool makes a tool bound to an HTTP operation, the way the OpenAPI importer does.
func httpTool(kit, op, method, path, summary, desc string) *Tool {
	return &Tool{
		Slug: strings.ToUpper(kit) + "_" + strings.ToUpper(op), Toolkit: kit, Name: summary, Description: desc,
		InputSchema: []byte(`{"type":"object"}`), HTTP: &HTTPBinding{Method: method, Path: path},
	}
}

// testCatalog is a small catalog of two toolkits of very different sizes.
func testCatalog() []*Tool {
	ts := []*Tool{
		httpTool("code", "issues_create", "POST", "/repos/{owner}/{repo}/issues", "Create an issue", "Creates an issue in a repository."),
		httpTool("code", "issues_list", "GET", "/repos/{owner}/{repo}/issues", "List repository issues", "Lists issues in a repository."),
		httpTool("code", "issues_get", "GET", "/repos/{owner}/{repo}/issues/{number}", "Get an issue", "Gets one issue."),
		httpTool("code", "issues_update", "PATCH", "/repos/{owner}/{repo}/issues/{number}", "Update an issue", "Edits an issue: title, body, state."),
		httpTool("code", "repos_delete_webhook", "DELETE", "/repos/{owner}/{repo}/hooks/{hook_id}", "Delete a repository webhook", "Deletes a webhook of a repository."),
		httpTool("code", "repos_list_webhooks", "GET", "/repos/{owner}/{repo}/hooks", "List repository webhooks", "Lists the webhooks of a repository."),
		httpTool("code", "pulls_create", "POST", "/repos/{owner}/{repo}/pulls", "Create a pull request", "Opens a pull request to merge a branch."),
		httpTool("code", "users_unfollow", "DELETE", "/user/following/{username}", "Unfollow a user", "Stops following a user."),
		httpTool("code", "users_follow", "PUT", "/user/following/{username}", "Follow a user", "Starts following a user."),
		httpTool("code", "chat_messages_list", "GET", "/repos/{owner}/{repo}/discussions", "List discussion messages", "Lists the messages of repository discussions, sent by users."),
	}
	// Bulk that makes "code" a big toolkit whose many tools mention messages in passing.
	for i := range 40 {
		ts = append(ts, httpTool("code", fmt.Sprintf("misc_%02d", i), "GET", fmt.Sprintf("/misc/%d", i), fmt.Sprintf("Get misc report %d", i), "Returns a report; the commit message of each change is included."))
	}
	ts = append(ts,
		httpTool("chat", "chat_delete", "POST", "/chat.delete", "chat_delete", "Deletes a message."),
		httpTool("chat", "chat_postMessage", "POST", "/chat.postMessage", "chat_postMessage", "Sends a message to a channel."),
		httpTool("chat", "conversations_kick", "POST", "/conversations.kick", "conversations_kick", "Removes a user from a conversation."),
	)
	return ts
}

func slugs(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Tool.Slug)
	}
	return out
}

func TestSearchFindsByMeaning(t *testing.T) {
	ix := NewIndex(testCatalog())
	tests := []struct {
		name, query, want string
	}{
		{"literal words", "create an issue", "CODE_ISSUES_CREATE"},
		{"synonym: ticket is an issue", "open a new ticket", "CODE_ISSUES_CREATE"},
		{"abbreviation: PR", "open a PR", "CODE_PULLS_CREATE"},
		{"phrase synonym: merge request", "create a merge request", "CODE_PULLS_CREATE"},
		{"idiom verb class: get rid of", "get rid of the old webhook", "CODE_REPOS_DELETE_WEBHOOK"},
		{"question lists", "which webhooks does this repo have", "CODE_REPOS_LIST_WEBHOOKS"},
		{"plural object lists", "get the issues of my repo", "CODE_ISSUES_LIST"},
		{"stop doing is undoing", "stop following octocat", "CODE_USERS_UNFOLLOW"},
		{"camelCase operationId", "post a message to the channel", "CHAT_CHAT_POSTMESSAGE"},
		{"reopen is an update", "reopen issue 12", "CODE_ISSUES_UPDATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, nil, 3)
			if len(hits) == 0 || hits[0].Tool.Slug != tt.want {
				t.Errorf("Search(%q) = %v, want %s first\n%s", tt.query, slugs(hits), tt.want, ix.Explain(tt.query, tt.want))
			}
		})
	}
}

func TestSearchAppDetection(t *testing.T) {
	ix := NewIndex(testCatalog())
	// "message" is everywhere in the big toolkit; naming the small one must put its tool first.
	hits := ix.Search("delete a message in chat", nil, 3)
	if len(hits) == 0 || hits[0].Tool.Slug != "CHAT_CHAT_DELETE" {
		t.Fatalf("hits = %v, want CHAT_CHAT_DELETE first", slugs(hits))
	}
	q := ix.parse("Chat's delete message")
	if len(q.kits) != 1 || ix.kits[q.kits[0]] != "chat" {
		t.Errorf("detected toolkits %v, want [chat]", q.kits)
	}
	for _, g := range q.groups {
		for _, a := range g.alts {
			for _, term := range a.terms {
				if term == ix.vocab["chat"] && len(a.terms) == 1 && a.w == 1 {
					t.Error("the app's name must not be searched as a word")
				}
			}
		}
	}
	if q := ix.parse("delete a message"); len(q.kits) != 0 {
		t.Errorf("no app named, detected %v", q.kits)
	}
}

// TestSearchSlugPartNamesApp checks which parts of a toolkit's slug name it in a query: a word no other toolkit's
// operations use does ("dracoon" of dracoon_team), a word that names operations of other toolkits does not
// ("team") unless written as a name: "add Priya to the design team" asks for no particular app.
func TestSearchSlugPartNamesApp(t *testing.T) {
	ts := append(testCatalog(),
		httpTool("dracoon_team", "list_rooms", "GET", "/rooms", "List rooms", "Lists data rooms."),
		httpTool("code", "teams_add_member", "PUT", "/teams/{team}/members/{user}", "Add a team member", "Adds a user to a team."),
		httpTool("chat", "team_info", "GET", "/team.info", "team_info", "Gets information about the team."),
	)
	ix := NewIndex(ts)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"list the rooms in Dracoon", []string{"dracoon_team"}},
		{"add Priya to the design team", nil},
		{"list rooms of dracoon team", []string{"dracoon_team"}},
		{"list the rooms in Team", []string{"dracoon_team"}}, // written as a name
		{"Team rooms", nil}, // capitalised as the first word of a sentence, not as a name
	} {
		q := ix.parse(tt.query)
		var got []string
		for _, k := range q.kits {
			got = append(got, ix.kits[k])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q names toolkits %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestQueryClass(t *testing.T) {
	ix := NewIndex(testCatalog())
	tests := []struct {
		query string
		want  opClass
	}{
		{"create an issue", classCreate},
		{"In Chat, add a message", classCreate},
		{"get rid of the webhook", classDelete},
		{"kick out the intern", classDelete},
		{"stop following octocat", classDelete},
		{"rename the column", classUpdate},
		{"look up the user", classGet},
		{"get the issues", classList},
		{"which webhooks are there", classList},
		{"what license does it use", classRead},
		{"find messages about the outage", classSearch},
		{"webhook", classNone},
		{"get the review threads on a pull request", classList},
		{"get the review thread on a pull request", classGet},
		{"get details of the teams I am in", classList},
		{"tell my server whenever an issue changes", classNone}, // the verb of a condition is not the request's
		{"delete the webhook when the issue closes", classDelete},
	}
	for _, tt := range tests {
		if got := ix.parse(tt.query).class; got != tt.want {
			t.Errorf("class of %q = %d, want %d", tt.query, got, tt.want)
		}
	}
}

func TestToolClass(t *testing.T) {
	lex := defaultLexicon()
	tests := []struct {
		tool *Tool
		want opClass
	}{
		{httpTool("k", "issues_create", "POST", "/issues", "", ""), classCreate},
		{httpTool("k", "PostCustomers", "POST", "/v1/customers", "PostCustomers", ""), classCreate},
		{httpTool("k", "PostCustomersCustomer", "POST", "/v1/customers/{customer}", "PostCustomersCustomer", ""), classUpdate},
		{httpTool("k", "PostInvoicesInvoicePay", "POST", "/v1/invoices/{invoice}/pay", "PostInvoicesInvoicePay", ""), classNone},
		{httpTool("k", "GetCharges", "GET", "/v1/charges", "GetCharges", ""), classList},
		{httpTool("k", "repos_get", "GET", "/repos/{owner}/{repo}", "", ""), classGet},
		{httpTool("k", "users_unfollow", "DELETE", "/user/following/{u}", "", ""), classDelete},
		{httpTool("k", "chat_postMessage", "POST", "/chat.postMessage", "chat_postMessage", ""), classCreate},
		{httpTool("k", "conversations_kick", "POST", "/conversations.kick", "conversations_kick", ""), classDelete},
		{httpTool("k", "repos_get_webhook_config_for_repo", "GET", "/repos/{o}/{r}/hooks/{id}/config", "", ""), classGet},
		{httpTool("k", "getComments", "GET", "/issue/{id}/comment", "getComments", ""), classList},
		{httpTool("k", "activity_get_feeds", "GET", "/feeds", "", ""), classList},
		{httpTool("k", "account_settings", "GET", "/accounts/{id}/settings", "", ""), classList},               // "settings" is no "set": the method decides
		{httpTool("k", "orgs_cancel_invitation", "DELETE", "/orgs/{o}/invitations/{id}", "", ""), classDelete}, // nor "invitation" "invite"
		{httpTool("k", "account_plan_base_delete", "PUT", "/accounts/{id}/plans/base", "", ""), classDelete},   // the verb ends the name
		{&Tool{Slug: "K_THING", Toolkit: "k"}, classNone},
	}
	words := map[string]bool{"follow": true}
	for _, tt := range tests {
		if got := toolClass(tt.tool, actionWords(tt.tool), words, lex); got != tt.want {
			t.Errorf("class of %s = %d, want %d", tt.tool.Slug, got, tt.want)
		}
	}
}

func TestSearchDeterministicAndTieBreak(t *testing.T) {
	var ts []*Tool
	for _, slug := range []string{"K_ZETA", "K_ALPHA", "K_MID"} {
		ts = append(ts, &Tool{Slug: slug, Toolkit: "k", Name: "Archive a widget", Description: "Archives a widget."})
	}
	ix := NewIndex(ts)
	first := slugs(ix.Search("archive widget", nil, 10))
	if diff := cmp.Diff([]string{"K_ALPHA", "K_MID", "K_ZETA"}, first); diff != "" {
		t.Errorf("equal scores must be ordered by slug (-want +got):\n%s", diff)
	}
	big := NewIndex(testCatalog())
	want := slugs(big.Search("list the issues of a repository", nil, 10))
	for range 20 {
		if got := slugs(big.Search("list the issues of a repository", nil, 10)); !cmp.Equal(want, got) {
			t.Fatalf("search is not deterministic: %v then %v", want, got)
		}
	}
}

// TestSearchDeterministicAcrossBuilds checks that two indexes built from the same catalog rank alike, score for
// score: nothing in the build depends on map order, so client prompt caches keep working across restarts.
func TestSearchDeterministicAcrossBuilds(t *testing.T) {
	a, b := NewIndex(testCatalog()), NewIndex(testCatalog())
	for _, q := range []string{"list the issues of a repository", "get rid of the webhook", "kick someone out", "report", "message"} {
		ha, hb := a.Search(q, nil, 20), b.Search(q, nil, 20)
		if len(ha) != len(hb) {
			t.Fatalf("%q: %d hits, then %d", q, len(ha), len(hb))
		}
		for i := range ha {
			if ha[i].Tool.Slug != hb[i].Tool.Slug || ha[i].Score != hb[i].Score {
				t.Errorf("%q rank %d: %s %v, then %s %v", q, i+1, ha[i].Tool.Slug, ha[i].Score, hb[i].Tool.Slug, hb[i].Score)
			}
		}
	}
}

// TestSearchSameWithParallelBuild: an index built by several workers ranks exactly like one built by one. The
// catalog repeats testCatalog's tools under many toolkits, so that it is large enough to be split.
func TestSearchSameWithParallelBuild(t *testing.T) {
	var many []*Tool
	for k := 0; len(many) < 1200; k++ {
		for _, tl := range testCatalog() {
			c := *tl
			c.Toolkit = fmt.Sprintf("%s%d", tl.Toolkit, k)
			c.Slug = fmt.Sprintf("%s%d", tl.Slug, k)
			c.Description += fmt.Sprintf(" Variant %d of %s.", k%7, strings.Repeat("x", k%5+1))
			many = append(many, &c)
		}
	}
	build := func(procs int) *Index {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return NewIndex(many)
	}
	one, four := build(1), build(4)
	if w := func() int { defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)); return buildWorkers(len(many)) }(); w < 2 {
		t.Fatalf("buildWorkers = %d for %d tools on 4 CPUs; the test needs a split build", w, len(many))
	}
	for _, q := range []string{"list the issues of a repository", "get rid of the webhook", "kick someone out", "variant xxx", "code3 message"} {
		ha, hb := one.Search(q, nil, 20), four.Search(q, nil, 20)
		if len(ha) != len(hb) {
			t.Fatalf("%q: %d hits with one worker, %d with four", q, len(ha), len(hb))
		}
		for i := range ha {
			if ha[i].Tool.Slug != hb[i].Tool.Slug || ha[i].Score != hb[i].Score {
				t.Errorf("%q rank %d: %s %v with one worker, %s %v with four", q, i+1, ha[i].Tool.Slug, ha[i].Score, hb[i].Tool.Slug, hb[i].Score)
			}
		}
	}
}

// TestSearchAllowIsAFilter checks the property session search relies on: the ranking under allow is the unfiltered
// ranking without the rejected tools, with the same scores.
func TestSearchAllowIsAFilter(t *testing.T) {
	for _, p := range []SearchParams{DefaultSearchParams, func() SearchParams { p := DefaultSearchParams; p.KitNorm = 0.5; return p }()} {
		ix := NewIndexWith(testCatalog(), p)
		noMisc := func(t *Tool) bool { return !strings.Contains(t.Slug, "MISC") && t.Slug != "CODE_ISSUES_CREATE" }
		for _, q := range []string{"create an issue", "report", "delete the message", "commit message"} {
			var want []Hit
			for _, h := range ix.Search(q, nil, 100) {
				if noMisc(h.Tool) && len(want) < 5 {
					want = append(want, h)
				}
			}
			got := ix.Search(q, noMisc, 5)
			if diff := cmp.Diff(slugs(want), slugs(got)); diff != "" {
				t.Errorf("KitNorm %v, %q (-filtered unfiltered +filtered search):\n%s", p.KitNorm, q, diff)
			}
			for i := range min(len(want), len(got)) {
				if want[i].Score != got[i].Score {
					t.Errorf("KitNorm %v, %q: %s scores %v unfiltered, %v filtered", p.KitNorm, q, got[i].Tool.Slug, want[i].Score, got[i].Score)
				}
			}
		}
	}
}

func TestSearchAllowAndLimit(t *testing.T) {
	ix := NewIndex(testCatalog())
	onlyChat := func(t *Tool) bool { return t.Toolkit == "chat" }
	for _, h := range ix.Search("delete message", onlyChat, 10) {
		if h.Tool.Toolkit != "chat" {
			t.Errorf("allow ignored: %s", h.Tool.Slug)
		}
	}
	if got := ix.Search("report", nil, 2); len(got) != 2 {
		t.Errorf("limit 2 returned %d hits", len(got))
	}
	if got := ix.Search("report", nil, 0); got != nil {
		t.Errorf("limit 0 returned %v", got)
	}
}

func TestSearchBadInput(t *testing.T) {
	ix := NewIndex(testCatalog())
	tests := []struct {
		name, query string
	}{
		{"empty", ""},
		{"spaces", "   \t\n"},
		{"only stop words", "the of and to"},
		{"punctuation", "!!! ??? ..."},
		{"non-English", "создать задачу 新しい課題を作成"},
		{"control bytes", "\x00\x01\xff\xfe"},
		{"invalid UTF-8", string([]byte{0xe2, 0x28, 0xa1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.Search(tt.query, nil, 5); len(got) != 0 {
				t.Errorf("Search(%q) = %v, want no hits", tt.query, slugs(got))
			}
		})
	}
	t.Run("100 KB query", func(t *testing.T) {
		long := strings.Repeat("create an issue ", 7000)
		hits := ix.Search(long, nil, 3)
		if len(hits) == 0 || hits[0].Tool.Slug != "CODE_ISSUES_CREATE" {
			t.Errorf("long query: %v", slugs(hits))
		}
	})
	t.Run("empty index", func(t *testing.T) {
		if got := NewIndex(nil).Search("create an issue", nil, 5); got != nil {
			t.Errorf("empty index returned %v", got)
		}
	})
}

func TestLexicon(t *testing.T) {
	lex := defaultLexicon()
	has := func(src, target string) bool {
		key, _ := stemPhrase(src)
		e := lex.entries[key]
		if e == nil {
			return false
		}
		want := strings.Join(termsOf(target), " ")
		for _, a := range e.alts {
			if strings.Join(a.terms, " ") == want {
				return true
			}
		}
		return false
	}
	for _, c := range [][2]string{{"repo", "repository"}, {"merge request", "pull request"}, {"ticket", "issue"}, {"dm", "direct message"}} {
		if !has(c[0], c[1]) {
			t.Errorf("curated vocabulary lacks %q → %q", c[0], c[1])
		}
	}
	// The WordNet table is generated; these pairs come from it, not from the curated table.
	for _, c := range [][2]string{{"squad", "team"}, {"recruit", "enroll"}} {
		if !has(c[0], c[1]) {
			t.Errorf("WordNet table lacks %q → %q", c[0], c[1])
		}
	}
	if lex.irregular["got"] != "get" {
		t.Errorf("irregular form got → %q, want get", lex.irregular["got"])
	}
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{"create an issue", "get rid of #launch", "stop following @bob", "", "ünï €", strings.Repeat("a", 300), "<p>&amp;x</p> https://x.y/z"} {
		f.Add(s)
	}
	ix := NewIndex(testCatalog())
	f.Fuzz(func(t *testing.T, q string) {
		hits := ix.Search(q, nil, 5)
		if len(hits) > 5 {
			t.Fatalf("%d hits for limit 5", len(hits))
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Fatalf("hits out of order: %v", slugs(hits))
			}
		}
		var words []string
		splitWords(q, true, func(w []byte) { words = append(words, string(w)) })
		for _, w := range words {
			_ = Stem(w)
		}
	})
}

func TestSearchConcurrent(t *testing.T) {
	ix := NewIndex(testCatalog())
	queries := []string{"create an issue", "delete a message in chat", "stop following octocat", "which webhooks does this repo have"}
	want := make([][]string, len(queries))
	for i, q := range queries {
		want[i] = slugs(ix.Search(q, nil, 5))
	}
	done := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 200 {
				k := (g + i) % len(queries)
				if got := slugs(ix.Search(queries[k], nil, 5)); !cmp.Equal(got, want[k]) {
					done <- fmt.Errorf("concurrent search of %q = %v, want %v", queries[k], got, want[k])
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestObjectSpan(t *testing.T) {
	tests := []struct {
		query string
		at    int // the verb's index
		want  string
	}{
		{"delete a github repository after the user confirms", 0, "github repository"},
		{"get the reviews on a pull request", 0, "reviews"},
		{"get details of the teams the user is in", 0, "teams user"},
		{"which webhooks are configured on this repo", 0, "webhooks"},
		{"webhooks of the repo", -1, "webhooks"},
		{"who is in this channel", 0, ""}, // a question about a place names no object
		{"delete", 0, ""},
	}
	for _, tt := range tests {
		var raw []string
		splitWords(tt.query, true, func(w []byte) { raw = append(raw, string(w)) })
		from, to := objectSpan(raw, make([]bool, len(raw)), tt.at)
		var got []string
		for _, w := range raw[from:to] {
			if !isNoise([]byte(w)) {
				got = append(got, w)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("object of %q = %q, want %q", tt.query, strings.Join(got, " "), tt.want)
		}
	}
}

// TestSearchStructure checks the structural signals: a request that starts with a verb the catalog's writes are
// named by ("cancel") asks for a write, and a tool whose resource is the verb's object is multiplied by
// ResourceMatch while one that only mentions it is not.
func TestSearchStructure(t *testing.T) {
	ts := []*Tool{
		httpTool("pay", "GetSubscriptions", "GET", "/v1/subscriptions", "GetSubscriptions", "Lists subscriptions, canceled ones too."),
		httpTool("pay", "PostSubscriptionsSubscriptionCancel", "POST", "/v1/subscriptions/{subscription}/cancel", "PostSubscriptionsSubscriptionCancel", "Cancels a subscription."),
		httpTool("code", "repos_delete", "DELETE", "/repos/{owner}/{repo}", "Delete a repository", "Deletes a repository."),
		httpTool("code", "scanning_delete_analysis", "DELETE", "/repos/{owner}/{repo}/scanning/analyses/{id}", "Delete a repository scanning analysis", "Deletes an analysis of a repository."),
		httpTool("code", "issues_add_labels", "POST", "/repos/{owner}/{repo}/issues/{number}/labels", "Add labels to an issue", "Adds a label."),
	}
	ix := NewIndex(ts)
	classes := []struct {
		query string
		want  opClass
	}{
		{"cancel the subscription", classWrite},
		{"subscriptions to cancel", classNone}, // no leading verb
		{"which subscriptions can I cancel", classList},
		{"label the bug as urgent", classWrite},             // a noun of the catalog used as a verb
		{"labels for the bug", classNone},                   // a plural noun is no verb
		{"label colours of the repo", classNone},            // no determiner after it: a noun
		{"the subscription is over, cancel it", classWrite}, // the request is the clause with the verb
		{"we are done: delete the repository", classDelete},
		{"list the subscriptions, all of them", classList}, // a later clause without a verb changes nothing
	}
	for _, tt := range classes {
		if got := ix.parse(tt.query).class; got != tt.want {
			t.Errorf("class of %q = %d, want %d", tt.query, got, tt.want)
		}
	}
	p := DefaultSearchParams
	for _, tt := range []struct {
		tool opClass
		want float32
	}{{classList, p.ClassMismatch}, {classGet, p.ClassMismatch}, {classUpdate, 1}, {classDelete, 1}, {classNone, 1}} {
		if got := classFactor(classWrite, tt.tool, p); got != tt.want {
			t.Errorf("classFactor(write, %d) = %v, want %v", tt.tool, got, tt.want)
		}
	}
	if hits := ix.Search("cancel the subscription", nil, 3); len(hits) == 0 || hits[0].Tool.Slug != "PAY_POSTSUBSCRIPTIONSSUBSCRIPTIONCANCEL" {
		t.Errorf("Search(cancel the subscription) = %v, want the cancel operation first", slugs(hits))
	}

	score := func(p SearchParams, query, slug string) float64 {
		for _, h := range NewIndexWith(ts, p).Search(query, nil, 10) {
			if h.Tool.Slug == slug {
				return h.Score
			}
		}
		t.Fatalf("Search(%q) misses %s", query, slug)
		return 0
	}
	off, on := DefaultSearchParams, DefaultSearchParams
	off.ResourceMatch, on.ResourceMatch = 1, 2
	for slug, want := range map[string]float64{"CODE_REPOS_DELETE": 2, "CODE_SCANNING_DELETE_ANALYSIS": 1} {
		if got := score(on, "delete the repository", slug) / score(off, "delete the repository", slug); math.Abs(got-want) > 1e-3 {
			t.Errorf("ResourceMatch 2 scales %s by %.3f, want %v", slug, got, want)
		}
	}
}

// TestIdiomWeight checks that an idiom, whose own words are not searched, carries the full weight of what it
// stands for ("merge request" → "pull request", split over the two words), while a literal word's synonyms stay
// below the word itself.
func TestIdiomWeight(t *testing.T) {
	ix := NewIndex(testCatalog())
	q := ix.parse("merge request")
	if len(q.groups) != 1 || len(q.groups[0].alts) != 1 {
		t.Fatalf("groups of %q: %+v, want one with one alternative", "merge request", q.groups)
	}
	if got, want := q.groups[0].alts[0].w, DefaultSearchParams.Idiom/2; got != want {
		t.Errorf("weight of the idiom's alternative = %v, want %v", got, want)
	}
	for _, a := range ix.parse("ticket").groups[0].alts[1:] {
		if a.w >= 1 {
			t.Errorf("a synonym of a literal word weighs %v, want less than the word", a.w)
		}
	}
}

// TestSearchRequestReading checks the rules that read a request the way agents write it, each by the factor it
// applies: parameters the query names, administrators' variants, names capitalised inside a sentence, "%" and "$",
// and the HTTP method's name in an operation name.
func TestSearchRequestReading(t *testing.T) {
	sub := httpTool("pay", "PostSubscriptionsSubscription", "POST", "/v1/subscriptions/{subscription}", "PostSubscriptionsSubscription", "Updates a subscription.")
	sub.HTTP.Body = &HTTPBody{Props: map[string]string{"cancel_at_period_end": "cancel_at_period_end", "items": "items"}}
	coupon := httpTool("pay", "PostCoupons", "POST", "/v1/coupons", "PostCoupons", "Creates a coupon.")
	coupon.HTTP.Body = &HTTPBody{Props: map[string]string{"percent_off": "percent_off", "amount_off": "amount_off"}}
	ts := []*Tool{
		sub, coupon,
		httpTool("chat", "conversations_invite", "POST", "/conversations.invite", "conversations_invite", "Invites users to a channel."),
		httpTool("chat", "admin_conversations_invite", "POST", "/admin.conversations.invite", "admin_conversations_invite", "Invites users to a channel."),
		httpTool("box", "post_folders", "POST", "/folders", "Create folder", "Creates a folder."),
		httpTool("box", "get_folders_id", "GET", "/folders/{folder_id}", "Get folder information", "Gets a folder."),
	}
	score := func(p SearchParams, query, slug string) float64 {
		t.Helper()
		for _, h := range NewIndexWith(ts, p).Search(query, nil, 10) {
			if h.Tool.Slug == slug {
				return h.Score
			}
		}
		t.Fatalf("Search(%q) misses %s", query, slug)
		return 0
	}
	ratio := func(set func(*SearchParams), query, slug string) float64 {
		t.Helper()
		on, off := DefaultSearchParams, DefaultSearchParams
		set(&off)
		return score(on, query, slug) / score(off, query, slug)
	}
	d := DefaultSearchParams
	tests := []struct {
		name  string
		set   func(*SearchParams) // turns the rule off
		query string
		slug  string
		want  float64
	}{
		{"parameter named", func(p *SearchParams) { p.ParamPhrase = 1 }, "cancel the subscription at period end", "PAY_POSTSUBSCRIPTIONSSUBSCRIPTION", float64(d.ParamPhrase)},
		{"parameter not named", func(p *SearchParams) { p.ParamPhrase = 1 }, "cancel the subscription", "PAY_POSTSUBSCRIPTIONSSUBSCRIPTION", 1},
		{"admin variant", func(p *SearchParams) { p.AdminPenalty = 0 }, "invite users to the channel", "CHAT_ADMIN_CONVERSATIONS_INVITE", float64(1 - d.AdminPenalty)},
		{"admin asked for", func(p *SearchParams) { p.AdminPenalty = 0 }, "as an admin, invite users to the channel", "CHAT_ADMIN_CONVERSATIONS_INVITE", 1},
		{"plain variant", func(p *SearchParams) { p.AdminPenalty = 0 }, "invite users to the channel", "CHAT_CONVERSATIONS_INVITE", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratio(tt.set, tt.query, tt.slug); math.Abs(got-tt.want) > 1e-3 {
				t.Errorf("the rule scales %s by %.3f for %q, want %v", tt.slug, got, tt.query, tt.want)
			}
		})
	}

	ix := NewIndex(ts)
	t.Run("capitalised names weigh less", func(t *testing.T) {
		q := ix.parse("create a folder for the Channel")
		lower := ix.parse("create a folder for the channel")
		if len(q.groups) != len(lower.groups) || q.imp >= lower.imp {
			t.Errorf("importance %v with a capitalised name, %v without: want less", q.imp, lower.imp)
		}
	})
	t.Run("a percentage and an amount", func(t *testing.T) {
		terms := map[int32]bool{}
		for _, g := range ix.parse("a coupon for 20% off").groups {
			for _, a := range g.alts {
				for _, id := range a.terms {
					terms[id] = true
				}
			}
		}
		for _, w := range []string{"percent"} {
			if !terms[ix.vocab[Stem(w)]] {
				t.Errorf("\"20%%\" does not search for %q", w)
			}
		}
		if q := ix.parse("a coupon for $5"); len(q.groups) < 2 {
			t.Errorf("\"$5\" does not search for an amount: %d groups", len(q.groups))
		}
	})
	t.Run("the HTTP method is no word of the operation", func(t *testing.T) {
		if id, ok := ix.vocab[Stem("post")]; ok {
			for _, p := range ix.postings[id] {
				if p.name {
					t.Errorf("%s has the method's name as a word of its name", ix.tools[p.doc].Slug)
				}
			}
		}
		if ix.class[4] != classCreate || ix.class[5] != classGet {
			t.Errorf("classes of post_folders, get_folders_id = %d, %d; want create, get", ix.class[4], ix.class[5])
		}
	})
}

// TestParticiple checks which words are past participles used as adjectives or as the state a question asks about:
// they describe the user's thing and weigh like names.
func TestParticiple(t *testing.T) {
	tests := []struct {
		query string
		at    int
		want  bool
	}{
		{"remove the expired card", 2, true},
		{"attach the signed contract pdf", 2, true},
		{"list the archived projects", 2, true},
		{"which cards expired", 2, false},          // a verb, not before its noun
		{"the card expired yesterday", 2, false},   // no determiner before it
		{"get the shared with me files", 2, false}, // a preposition follows
		{"remove the card", 2, false},
		{"which webhooks are configured on this repo", 3, true}, // the state of what a question asks for
		{"the webhooks are configured", 3, false},               // not a question              // not a participle
	}
	for _, tt := range tests {
		var raw []string
		splitWords(tt.query, false, func(w []byte) {
			if base, ok := defaultLexicon().irregular[string(w)]; ok {
				raw = append(raw, base) // as parse reads it: "are" is "be"
			} else {
				raw = append(raw, string(w))
			}
		})
		if got := participle(raw, tt.at); got != tt.want {
			t.Errorf("participle(%q, %d) = %v, want %v", tt.query, tt.at, got, tt.want)
		}
	}
}

// TestSearchModifiersAndResourceHead checks two readings of structure: a participle before the object ("the
// expired card") weighs like a name, and a resource whose first word repeats its parent
// ("/projects/{p}/project_statuses") is about its head noun, not the parent.
func TestSearchModifiersAndResourceHead(t *testing.T) {
	ix := NewIndex([]*Tool{
		httpTool("pay", "PostCheckoutSessionsSessionExpire", "POST", "/v1/checkout/sessions/{session}/expire", "PostCheckoutSessionsSessionExpire", "A session can be expired when it is open."),
		httpTool("pay", "DeleteCustomersCustomerCardsId", "DELETE", "/v1/customers/{customer}/cards/{id}", "DeleteCustomersCustomerCardsId", "Delete a specified source for a given customer."),
		httpTool("work", "createProjectStatusForProject", "POST", "/projects/{project_gid}/project_statuses", "Create a project status", "Creates a new status update on the project."),
		httpTool("work", "createProject", "POST", "/projects", "Create a project", "Create a new project in a workspace or team."),
		httpTool("work", "getProjectStatuses", "GET", "/project_statuses", "Get project statuses", "Returns the statuses."),
	})
	group := func(q query, term string) qgroup {
		for _, g := range q.groups {
			for _, a := range g.alts {
				if len(a.terms) == 1 && a.terms[0] == ix.vocab[Stem(term)] {
					return g
				}
			}
		}
		t.Fatalf("no group for %q", term)
		return qgroup{}
	}
	q := ix.parse("remove the expired card")
	if g, idf := group(q, "expired"), ix.idf[ix.vocab[Stem("expired")]]; g.imp > ix.params.ProperNoun*idf*1.01 {
		t.Errorf("the participle of \"the expired card\" weighs %.2f, want at most %.2f (ProperNoun × idf)", g.imp, ix.params.ProperNoun*idf)
	}
	q = ix.parse("expire the card")
	if g, idf := group(q, "expire"), ix.idf[ix.vocab[Stem("expire")]]; g.imp < idf*0.99 {
		t.Errorf("the verb of \"expire the card\" weighs %.2f, want its idf %.2f", g.imp, idf)
	}
	res := func(slug, term string) bool {
		for _, p := range ix.postings[ix.vocab[Stem(term)]] {
			if ix.tools[p.doc].Slug == slug {
				return p.res
			}
		}
		t.Fatalf("%s has no term %q", slug, term)
		return false
	}
	for _, tt := range []struct {
		slug, term string
		want       bool
	}{
		{"WORK_CREATEPROJECTSTATUSFORPROJECT", "project", false}, // the parent, repeated
		{"WORK_CREATEPROJECTSTATUSFORPROJECT", "statuses", true},
		{"WORK_CREATEPROJECT", "projects", true},
		{"WORK_GETPROJECTSTATUSES", "project", true}, // no parent repeats it
	} {
		if got := res(tt.slug, tt.term); got != tt.want {
			t.Errorf("%s: %q is its resource = %v, want %v", tt.slug, tt.term, got, tt.want)
		}
	}
}

// TestSearchPrefersConnected: among near matches of a query that names no app, the tools of a preferred
// (connected) toolkit come first; a clearly better match elsewhere, or an app named in the query, still wins.
func TestSearchPrefersConnected(t *testing.T) {
	ts := []*Tool{
		httpTool("alpha", "send_message", "POST", "/messages", "Send a message", "Sends a message to a channel."),
		httpTool("beta", "send_message", "POST", "/chat/messages", "Send a message", "Sends a message to a channel or a user."),
		httpTool("gamma", "send_email", "POST", "/mail/send", "Send an email", "Sends an email message to recipients."),
	}
	ix := NewIndex(ts)
	top := func(query string, prefer map[string]bool) string {
		hits := ix.SearchPreferring(query, nil, prefer, 3)
		if len(hits) == 0 {
			t.Fatalf("%q: no hits", query)
		}
		return hits[0].Tool.Slug
	}
	prefer := map[string]bool{"beta": true}
	neutral := top("send a message to the channel", nil)
	if neutral != "ALPHA_SEND_MESSAGE" {
		t.Fatalf("without a preference the top tool is %s, want ALPHA_SEND_MESSAGE (the test's premise)", neutral)
	}
	if got := top("send a message to the channel", prefer); got != "BETA_SEND_MESSAGE" {
		t.Errorf("with beta connected the top tool is %s, want BETA_SEND_MESSAGE", got)
	}
	if got := top("send an email to the team", prefer); got != "GAMMA_SEND_EMAIL" {
		t.Errorf("a clearly better match lost to the connected toolkit: %s", got)
	}
	if got := top("send a message in Alpha", prefer); got != "ALPHA_SEND_MESSAGE" {
		t.Errorf("the app the query names lost to the connected toolkit: %s", got)
	}
	if got := ix.Search("send a message to the channel", nil, 1); got[0].Tool.Slug != neutral {
		t.Errorf("Search prefers a toolkit: %s", got[0].Tool.Slug)
	}
}
