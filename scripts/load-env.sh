#!/usr/bin/env bash
# Source it: exports each KEY=VALUE line of the repository's .env that the environment does not set
# already, so the real environment always wins (as in docker compose and Kubernetes). Lines that are
# comments or not assignments are skipped; one pair of surrounding quotes is removed from a value.
_mf_env="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.env"
if [ -f "$_mf_env" ]; then
  while IFS= read -r _mf_line || [ -n "$_mf_line" ]; do
    [[ "$_mf_line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    _mf_key="${BASH_REMATCH[1]}"
    _mf_value="${BASH_REMATCH[2]}"
    [ -n "${!_mf_key+x}" ] && continue
    if [[ "$_mf_value" =~ ^\"(.*)\"$ || "$_mf_value" =~ ^\'(.*)\'$ ]]; then _mf_value="${BASH_REMATCH[1]}"; fi
    export "$_mf_key=$_mf_value"
  done < "$_mf_env"
fi
unset _mf_env _mf_line _mf_key _mf_value
