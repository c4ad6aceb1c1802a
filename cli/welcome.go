package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/toolmux/toolmux/session"
)

// isTerminal reports whether r is a terminal (a character device); tests replace it.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// runRoot is `toolmux` without a command. A person at a terminal gets the three first steps; anything else is an
// MCP client that launched the binary without arguments, so it gets the server, as with `toolmux serve`.
func runRoot(g *globals) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if isTerminal(g.io.In) {
			printWelcome(g.io.Out)
			return nil
		}
		g.logger("info").Info("no command and stdin is not a terminal: serving MCP on stdio, as `toolmux serve` does")
		return runServe(cmd.Context(), g, serveOptions{})
	}
}

func printWelcome(w io.Writer) {
	fmt.Fprintf(w, `toolmux %s: API tools for AI agents behind six MCP meta tools, credentials kept on this machine.

Get started:
  1. Add toolmux to your MCP client (prints the entry with this binary's path; --write merges it in):
       toolmux config client claude      Claude Desktop
       toolmux config client cursor      Cursor
  2. Connect an account (Hacker News needs none; a token is read from stdin, never from argv):
       printf %%s "$GITHUB_TOKEN" | toolmux connect github --api-key-stdin
       toolmux connect github --device   (OAuth, with your OAuth app's client_id in the config)
  3. Search the tools the way an agent does:
       toolmux tools search "create an issue"

Then: toolmux toolkits list (what is loaded and connected), toolmux doctor (what is missing and how to fix it),
toolmux --help (every command). MCP clients launch `+"`toolmux serve`"+`.
`, session.Version)
}
