#!/usr/bin/env bash
# Creates .env (or the file given) from .env.example with freshly generated secrets in place of the
# public example ones: MENDFLOW_SECRET_KEY, MENDFLOW_ADMIN_PASSWORD and MENDFLOW_BOOTSTRAP_API_KEY.
# The apps refuse to start with the example values when NODE_ENV=production (as in the images).
# Leaves an existing file alone. Needs nothing but a shell (no Node, no openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-.env}
if [ -f "$target" ]; then
  echo "[env] $target exists; left as it is"
  exit 0
fi
rand_hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }
secret_key=$(rand_hex 32)
password=$(rand_hex 12)
api_key="mf_$(rand_hex 24)"
umask 077
sed -e "s/^MENDFLOW_SECRET_KEY=.*/MENDFLOW_SECRET_KEY=$secret_key/" \
  -e "s/^MENDFLOW_ADMIN_PASSWORD=.*/MENDFLOW_ADMIN_PASSWORD=$password/" \
  -e "s/^MENDFLOW_BOOTSTRAP_API_KEY=.*/MENDFLOW_BOOTSTRAP_API_KEY=$api_key/" \
  .env.example >"$target"
email=$(sed -n 's/^MENDFLOW_ADMIN_EMAIL=//p' "$target")
echo "[env] created $target (mode 600) with generated secrets:"
echo "[env]   sign in to the web UI as $email with password $password"
echo "[env]   API key (Authorization: Bearer): $api_key"
