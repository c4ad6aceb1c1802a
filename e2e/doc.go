// Package e2e holds toolmux's end-to-end tests. They build the toolmux binary once and drive it as its users do:
// real MCP clients (the go-sdk client over stdio, raw JSON-RPC lines, the MCP Inspector CLI), the command line,
// Prism mocking GitHub from its published OpenAPI description, and httptest servers standing in for other APIs.
//
// The package has no code of its own; it depends on nothing in toolmux at compile time, only on the built binary,
// so it tests the contract (flags, exit codes, MCP messages, state on disk) and not the internals. Run it with
//
//	go test ./e2e/                          # builds toolmux from the repository first
//	go test ./e2e/ -e2e.bin /path/toolmux   # tests a given binary
//	go test -short ./e2e/                   # without Prism, which needs 10 to 40 s to start
//
// Tests that need the pinned node components (test-tools/node_modules: Prism, the Inspector, the GitHub spec) skip
// when they are missing on a developer machine and fail when the CI environment variable is set.
package e2e
