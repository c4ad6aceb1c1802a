// Package authtest holds fakes for auth tests (this repository's and end-to-end ones): an OAuth2 authorization
// server speaking the real protocol over HTTP, and a D-Bus session bus that never answers. It depends on nothing in
// toolmux.
package authtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// OAuthServer is an OAuth2 authorization server for tests, speaking the real protocol: /authorize (authorization
// code with a mandatory S256 PKCE challenge and state), /token (authorization_code with verifier check,
// refresh_token, and the device_code grant answering authorization_pending once before success), /device (RFC 8628
// device authorization, interval 1), and /api, which accepts only access tokens it issued.
type OAuthServer struct {
	*httptest.Server
	ClientID string

	mu          sync.Mutex
	codes       map[string]codeGrant // code → what it was issued for
	devices     map[string]int       // device_code → polls so far
	refreshes   int
	issued      int
	refuse      bool // refuse refresh_token grants
	validAccess map[string]bool
}

type codeGrant struct {
	challenge, redirect string
	used                bool
}

// NewOAuthServer starts a server (client id "client-1") that stops when the test ends.
func NewOAuthServer(t testing.TB) *OAuthServer {
	o := &OAuthServer{ClientID: "client-1", codes: map[string]codeGrant{}, devices: map[string]int{}, validAccess: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", o.authorize)
	mux.HandleFunc("POST /token", o.token)
	mux.HandleFunc("POST /device", o.device)
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		ok := o.validAccess[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		o.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"login":"octocat"}`))
	})
	o.Server = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

// authorize approves at once (the test is the user) and redirects back with a code bound to the challenge.
func (o *OAuthServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != o.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad client_id or response_type", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43 {
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	}
	if q.Get("state") == "" {
		http.Error(w, "state required", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.issued++
	code := fmt.Sprintf("code-%d", o.issued)
	o.codes[code] = codeGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	o.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (o *OAuthServer) device(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != o.ClientID {
		http.Error(w, "bad client", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.issued++
	dc := fmt.Sprintf("device-%d", o.issued)
	o.devices[dc] = 0
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"device_code": dc, "user_code": "WDJB-MJHT",
		"verification_uri": o.URL + "/activate", "expires_in": 600, "interval": 1})
}

func (o *OAuthServer) tokenError(w http.ResponseWriter, code, desc string) {
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (o *OAuthServer) grant(w http.ResponseWriter, prefix string) {
	o.issued++
	access := fmt.Sprintf("access-%s-%d", prefix, o.issued)
	o.validAccess[access] = true
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "bearer", "expires_in": 3600,
		"refresh_token": fmt.Sprintf("refresh-%d", o.issued), "scope": "repo read:user"})
}

func (o *OAuthServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	f := r.PostForm
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := o.codes[f.Get("code")]
		switch {
		case !ok || g.used:
			o.tokenError(w, "invalid_grant", "unknown or used code")
			return
		case f.Get("redirect_uri") != g.redirect:
			o.tokenError(w, "invalid_grant", "redirect_uri mismatch")
			return
		}
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			o.tokenError(w, "invalid_grant", "PKCE verification failed")
			return
		}
		g.used = true
		o.codes[f.Get("code")] = g
		o.grant(w, "code")
	case "refresh_token":
		if o.refuse || !strings.HasPrefix(f.Get("refresh_token"), "refresh-") {
			o.tokenError(w, "invalid_grant", "refresh token revoked")
			return
		}
		o.refreshes++
		access := fmt.Sprintf("access-refreshed-%d", o.refreshes)
		o.validAccess[access] = true
		json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "bearer", "expires_in": 3600, "refresh_token": "refresh-next"})
	case "urn:ietf:params:oauth:grant-type:device_code":
		dc := f.Get("device_code")
		polls, ok := o.devices[dc]
		if !ok {
			o.tokenError(w, "expired_token", "unknown device code")
			return
		}
		o.devices[dc] = polls + 1
		if polls == 0 {
			o.tokenError(w, "authorization_pending", "")
			return
		}
		delete(o.devices, dc)
		o.grant(w, "device")
	default:
		o.tokenError(w, "unsupported_grant_type", "")
	}
}

// RefuseRefresh makes refresh_token grants fail with invalid_grant (a revoked refresh token).
func (o *OAuthServer) RefuseRefresh(refuse bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refuse = refuse
}
