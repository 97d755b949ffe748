#!/bin/sh
# Installs the mcp-audit binary for this machine (Linux or macOS, x64 or arm64)
# from a GitHub release, after checking it against the release's SHA256SUMS.
# Each release lists this script beside the binaries: download it from the
# release page and run it with sh, with MCP_AUDIT_REPO set to the GitHub
# owner/name of the repository that published the release.
#
# Environment:
#   MCP_AUDIT_REPO         GitHub owner/name to download from (no default: the
#                          script cannot know where it was downloaded from)
#   MCP_AUDIT_VERSION      release tag, e.g. v0.1.0 (default: the latest release)
#   MCP_AUDIT_BASE_URL     where the release files are instead: an https:// or
#                          file:// URL, or a local directory (for mirrors and tests)
#   MCP_AUDIT_INSTALL_DIR  where to put mcp-audit (default: /usr/local/bin for
#                          root, else ~/.local/bin)
set -eu

MCP_AUDIT_REPO="${MCP_AUDIT_REPO:-}"

say() { printf 'mcp-audit install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- Which binary: the release names them by Rust target triple. ---
os=$(uname -s)
arch=$(uname -m)
case "$os" in
  Linux) os_part=unknown-linux-gnu ;;
  Darwin) os_part=apple-darwin ;;
  *) die "unsupported OS \"$os\"; on Windows download mcp-audit-x86_64-pc-windows-msvc.exe from the release page." ;;
esac
case "$arch" in
  x86_64 | amd64) arch_part=x86_64 ;;
  arm64 | aarch64) arch_part=aarch64 ;;
  *) die "unsupported CPU \"$arch\"; release binaries exist for x86_64 and arm64." ;;
esac
# A shell under Rosetta reports x86_64 on Apple silicon; take the native binary.
if [ "$os" = Darwin ] && [ "$arch_part" = x86_64 ] &&
  [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  arch_part=aarch64
fi
asset="mcp-audit-${arch_part}-${os_part}"

# --- Where the release files are. ---
if [ -n "${MCP_AUDIT_BASE_URL:-}" ]; then
  base="${MCP_AUDIT_BASE_URL%/}"
elif [ -z "$MCP_AUDIT_REPO" ]; then
  die "no release to download from: set MCP_AUDIT_REPO to the GitHub owner/name of the repository whose release page lists this script (the part of its address after github.com/), or MCP_AUDIT_BASE_URL to a URL or directory holding the release files."
elif [ -n "${MCP_AUDIT_VERSION:-}" ]; then
  base="https://github.com/${MCP_AUDIT_REPO}/releases/download/${MCP_AUDIT_VERSION}"
else
  base="https://github.com/${MCP_AUDIT_REPO}/releases/latest/download"
fi

# fetch NAME DEST: copies $base/NAME to DEST from a local directory, a file://
# URL, or over https with curl or wget.
fetch() {
  case "$base" in
    file://*) cp "${base#file://}/$1" "$2" ;;
    http://* | https://*)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL --proto '=https,http' -o "$2" "$base/$1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$base/$1"
      else
        die "neither curl nor wget is installed."
      fi
      ;;
    *) cp "$base/$1" "$2" ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/^.*= *//'
  else
    die "no sha256sum, shasum or openssl to check the download with; not installing."
  fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mcp-audit)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say "downloading $asset from $base"
fetch SHA256SUMS "$tmp/SHA256SUMS" || die "could not download SHA256SUMS from $base."
fetch "$asset" "$tmp/$asset" || die "could not download $asset from $base."

# SHA256SUMS lines are "<hex>  <name>" (or "<hex> *<name>").
expected=$(awk -v name="$asset" '{ n = $2; sub(/^\*/, "", n); if (n == name) { print tolower($1); exit } }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS has no line for $asset; not installing."
actual=$(sha256_of "$tmp/$asset" | tr 'A-F' 'a-f')
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $asset: expected $expected, got $actual; not installing."
fi

# --- Install. ---
if [ -n "${MCP_AUDIT_INSTALL_DIR:-}" ]; then
  dir="$MCP_AUDIT_INSTALL_DIR"
elif [ "$(id -u)" = 0 ]; then
  dir=/usr/local/bin
else
  dir="$HOME/.local/bin"
fi
mkdir -p "$dir" || die "cannot create $dir; set MCP_AUDIT_INSTALL_DIR to a writable directory."
chmod 755 "$tmp/$asset"
# Move into place in one step so a running mcp-audit is never half-written.
cp "$tmp/$asset" "$dir/.mcp-audit.new" && mv -f "$dir/.mcp-audit.new" "$dir/mcp-audit" ||
  die "cannot write to $dir; set MCP_AUDIT_INSTALL_DIR, or run as root for /usr/local/bin."
say "installed $dir/mcp-audit (sha256 $actual)"
case ":${PATH}:" in
  *":$dir:"*) ;;
  *) say "$dir is not on your PATH; add it, or use the full path $dir/mcp-audit in your MCP client's config." ;;
esac
