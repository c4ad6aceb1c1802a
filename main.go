// Command toolmux is a local tool router for AI agents: an MCP server over stdio that turns OpenAPI documents into
// thousands of tools behind a few meta tools. This file only wires the command line; see package cli.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/toolmux/toolmux/cli"
)

//go:embed config.example.toml
var exampleConfig []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli.ExampleConfig = exampleConfig
	err := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "toolmux:", err)
	}
	os.Exit(cli.ExitCode(err))
}
