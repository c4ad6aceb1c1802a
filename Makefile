# Build helpers. The tests are `go test ./... && go test -race -short ./...`; see README.md.

GOOS ?= $(shell go env GOOS)
GOARCH ?= $(shell go env GOARCH)

.PHONY: build bundle clean

# build: the toolmux binary in the repository root.
build:
	go build -o toolmux .

# bundle: dist/toolmux-VERSION-GOOS-GOARCH.mcpb, an MCP Bundle for one-click install in Claude Desktop, and
# dist/server.json for the MCP registry (make bundle GOOS=darwin GOARCH=arm64 for another platform).
bundle:
	GOOS=$(GOOS) GOARCH=$(GOARCH) scripts/bundle.sh dist

clean:
	rm -rf dist toolmux
