package cli

// `toolmux users`: the people an HTTP server (`toolmux serve --http`, servehttp.go) accepts, each with a bearer
// token that decides their user id.

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/store"
)

func newUsersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Add, list and remove the users of `serve --http` (each has a bearer token)",
		Long: `Users of the HTTP server. A request's bearer token decides its user id: the user's sessions, memory, files,
execution log and connected accounts are the same as those of ` + "`toolmux --user NAME ...`" + ` on the command line, and
invisible to every other user. Only a hash of the token is stored; ` + "`users add`" + ` prints the token once.`,
	}
	var asJSON bool
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a user and print their token (shown only this once)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			name := args[0]
			if !config.ValidSessionName(name) {
				return usageError("user name %q: use letters, digits, '.', '_' or '-' (at most 128)", name)
			}
			token, err := e.db.CreateUser(cmd.Context(), name)
			if errors.Is(err, store.ErrUserExists) {
				return usageError("user %q exists; to give them a new token: toolmux users remove %s && toolmux users add %s", name, name, name)
			} else if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.io.Out, map[string]string{"user": name, "token": token})
			}
			fmt.Fprintln(g.io.Out, token)
			fmt.Fprintf(g.io.Err, "User %s created. The line above is their token; it is not stored and cannot be shown again.\n"+
				"Clients send it as: Authorization: Bearer <token>\n", name)
			return nil
		}),
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: g.withEnv(func(cmd *cobra.Command, _ []string, e *env) error {
			users, err := e.db.Users(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				type userJSON struct {
					Name       string     `json:"name"`
					CreatedAt  time.Time  `json:"created_at"`
					LastSeenAt *time.Time `json:"last_seen_at"`
				}
				out := make([]userJSON, 0, len(users))
				for _, u := range users {
					j := userJSON{Name: u.Name, CreatedAt: u.CreatedAt}
					if !u.LastSeenAt.IsZero() {
						j.LastSeenAt = &u.LastSeenAt
					}
					out = append(out, j)
				}
				return printJSON(g.io.Out, out)
			}
			tb := newTable(g.io.Out, "USER", "CREATED", "LAST SEEN")
			for _, u := range users {
				seen := "never"
				if !u.LastSeenAt.IsZero() {
					seen = u.LastSeenAt.Local().Format(time.DateTime)
				}
				tb.row(u.Name, u.CreatedAt.Local().Format(time.DateTime), seen)
			}
			return tb.flush()
		}),
	}
	remove := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a user: their token stops working (their sessions and accounts stay)",
		Args:    cobra.ExactArgs(1),
		RunE: g.withEnv(func(cmd *cobra.Command, args []string, e *env) error {
			err := e.db.RemoveUser(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return usageError("no user %q; see `toolmux users list`", args[0])
			} else if err != nil {
				return err
			}
			fmt.Fprintf(g.io.Err, "User %s removed; their token no longer works. Their data stays: see `toolmux --user %s sessions list`.\n", args[0], args[0])
			return nil
		}),
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}
