#!/usr/bin/env bash
# Everything CI runs, in order of cost: static checks, then unit, integration and e2e tests.
# Needs PostgreSQL and Redis (see README); TEST_DATABASE_URL / TEST_REDIS_URL point the tests at them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 NEXT_TELEMETRY_DISABLED=1 REDOCLY_TELEMETRY=off
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"

step() { printf '\n== %s\n' "$*"; }

step "build"
bash scripts/build.sh
step "typecheck tests"
npx --no-install tsc -p tsconfig.spec.json
step "lint"
npx --no-install eslint --max-warnings 0 .
step "Kubernetes manifests: every kustomization renders and validates against the schemas (offline)"
node scripts/k8s-validate.mjs
step "OpenAPI document lints (Redocly recommended)"
npx --no-install redocly lint --config redocly.yaml apps/api/openapi.json
step "migrations match the schema"
DATABASE_URL="${TEST_DATABASE_URL}" bash scripts/check-migrations.sh
step "unit, integration and e2e tests"
mkdir -p artifacts
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json
# One plain closing line for tools that read it.
node -e 'const r = require("./artifacts/vitest.json"); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)'
