#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH (see ensure-node.sh).
set -e
. "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"
exec "$@"
