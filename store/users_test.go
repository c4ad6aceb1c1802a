package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUsers(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()

	alice, err := db.CreateUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	bob, err := db.CreateUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(alice, TokenPrefix) || len(alice) != len(TokenPrefix)+43 || alice == bob {
		t.Fatalf("tokens %q and %q: want two distinct %s + 43 base64url characters", alice, bob, TokenPrefix)
	}
	if _, err := db.CreateUser(ctx, "alice"); !errors.Is(err, ErrUserExists) {
		t.Fatalf("second alice: err = %v, want ErrUserExists", err)
	}

	// Only the hash is stored: the token appears nowhere in the table.
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE token_hash = ? OR name = ? OR token_hash = ?`,
		alice, alice, HashToken(alice)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows matching alice's token or its hash = %d (%v), want only the hash to match once", n, err)
	}

	tests := []struct {
		name, token, want string
		wantErr           error
	}{
		{"alice's token", alice, "alice", nil},
		{"bob's token", bob, "bob", nil},
		{"unknown token", TokenPrefix + strings.Repeat("A", 43), "", ErrNotFound},
		{"no prefix", strings.TrimPrefix(alice, TokenPrefix), "", ErrNotFound},
		{"empty", "", "", ErrNotFound},
		{"the stored hash itself", HashToken(alice), "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := db.UserByToken(ctx, tt.token)
			if !errors.Is(err, tt.wantErr) || u.Name != tt.want {
				t.Fatalf("UserByToken = %q, %v; want %q, %v", u.Name, err, tt.want, tt.wantErr)
			}
		})
	}

	clk.advance(time.Minute)
	if err := db.TouchUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "alice", CreatedAt: epoch},
		{Name: "bob", CreatedAt: epoch.Add(time.Minute), LastSeenAt: epoch.Add(2 * time.Minute)},
	}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Fatalf("Users (-want +got):\n%s", diff)
	}

	if err := db.RemoveUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(ctx, alice); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed user's token: err = %v, want ErrNotFound", err)
	}
	if err := db.RemoveUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: err = %v, want ErrNotFound", err)
	}
}
