#!/usr/bin/env bash
# Packs toolmux as an MCP Bundle (.mcpb) for one-click install in Claude Desktop: bundle/manifest.json plus the
# native binary at server/toolmux, zipped. Run it from anywhere; it builds for GOOS/GOARCH (default: this machine).
#
#   scripts/bundle.sh [OUT_DIR]          (make bundle; make bundle GOOS=darwin GOARCH=arm64)
#
# Writes OUT_DIR/toolmux-VERSION-GOOS-GOARCH.mcpb (default OUT_DIR: dist) and OUT_DIR/server.json, the registry
# description with this bundle's sha256 filled in. The version comes from bundle/manifest.json, which must match
# server.json (a test checks both). MCPB is set to the mcpb CLI to validate the manifest (default: the pinned one in
# test-tools/node_modules, when installed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
goos="${GOOS:-$(go env GOOS)}"
goarch="${GOARCH:-$(go env GOARCH)}"
version="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$root/bundle/manifest.json" | head -n 1)"
if [ -z "$version" ]; then
	echo "bundle.sh: no top-level \"version\" in bundle/manifest.json" >&2
	exit 1
fi
case "$goos" in
	darwin) platform=darwin ;;
	linux) platform=linux ;;
	windows) platform=win32 ;;
	*) echo "bundle.sh: MCP Bundles run on darwin, linux and windows, not $goos" >&2; exit 1 ;;
esac
exe=toolmux
[ "$goos" = windows ] && exe=toolmux.exe

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/server"
(cd "$root" && CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" go build -trimpath \
	-ldflags "-s -w -X github.com/toolmux/toolmux/session.releaseVersion=$version" -o "$work/server/$exe" .)
# The bundle declares only the platform its binary runs on.
sed "s/\"platforms\": \[[^]]*\]/\"platforms\": [\"$platform\"]/" "$root/bundle/manifest.json" >"$work/manifest.json"

mcpb="${MCPB:-$root/test-tools/node_modules/.bin/mcpb}"
if [ -x "$mcpb" ]; then
	"$mcpb" validate "$work/manifest.json" >&2
else
	echo "bundle.sh: $mcpb not found, manifest not validated (run npm ci in test-tools)" >&2
fi

file="$out/toolmux-$version-$goos-$goarch.mcpb"
rm -f "$file"
(cd "$work" && zip -q -X -D -r "$file" manifest.json server)
sum="$(sha256sum "$file" 2>/dev/null || shasum -a 256 "$file")"
sum="${sum%% *}"
# server.json for the registry release: the package points at this bundle, with its sha256.
awk -v from="toolmux-$version-linux-amd64.mcpb" -v to="$(basename "$file")" -v sum="$sum" '
	{ i = index($0, from); if (i) $0 = substr($0, 1, i - 1) to substr($0, i + length(from)); print }
	/"registryType": "mcpb",/ { print "      \"fileSha256\": \"" sum "\"," }
' "$root/server.json" >"$out/server.json"
echo "$file"
