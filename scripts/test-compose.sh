#!/usr/bin/env bash
# npm run test:compose — the docker-compose.yml stack end to end: build the images, start everything
# (two workers), wait until the API is ready, create an automation and run it over HTTP on the published
# API port, check that it succeeded with the right output, check the web UI and its API proxy, then
# `down -v`, whatever happened. It also checks that the profile `observability` (Prometheus, Grafana)
# renders, without starting it.
#
# Uses `docker compose` (v2) when present, else `docker-compose` (1.29). When no Docker engine answers
# and DOCKER_STANDINS names a stand-ins script (one that starts an engine and builds local stand-ins for
# the base images on an offline machine, with `up` and `down`), it is run; the engine it started is
# stopped again at the end unless KEEP_ENGINE=1. When the base images are those stand-ins (an offline
# machine), infra/compose.offline.yml is added for the builds; OFFLINE=1/0 forces it on/off.
#
# Env: API_HOST_PORT / WEB_HOST_PORT (default: free ports), READY_TIMEOUT (s, default 240),
#      RUN_TIMEOUT (s, default 60), KEEP_ENGINE=1, DOCKER_STANDINS (a script path), NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/ensure-node.sh

STANDINS=${DOCKER_STANDINS:-}
PROJECT=mendflow-compose-test
READY_TIMEOUT=${READY_TIMEOUT:-240}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
T0=$SECONDS

log() { printf '[test:compose %3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---- engine ----
STARTED_ENGINE=0
if ! docker info >/dev/null 2>&1; then
  [ -n "$STANDINS" ] || die "no Docker engine answers: start one (or set DOCKER_STANDINS to a script that does)"
  [ -f "$STANDINS" ] || die "no Docker engine answers and DOCKER_STANDINS=$STANDINS does not exist"
  log "no Docker engine answers; starting one with $STANDINS up"
  bash "$STANDINS" up >&2
  STARTED_ENGINE=1
fi
docker info >/dev/null 2>&1 || die "the Docker engine does not answer"

# ---- compose flavour and files ----
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
  # docker-compose 1.x builds through the engine API (classic builder): `network: host` works there.
  export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
else
  die "neither 'docker compose' nor 'docker-compose' is installed"
fi
FILES=(-f docker-compose.yml)
if [ -z "${OFFLINE:-}" ]; then
  OFFLINE=0
  label=$(docker image inspect -f '{{index .Config.Labels "mf.standin.rev"}}' node:24-bookworm-slim 2>/dev/null || true)
  if [ -n "$label" ] && [ "$label" != "<no value>" ]; then OFFLINE=1; fi
fi
if [ "$OFFLINE" = 1 ]; then FILES+=(-f infra/compose.offline.yml); fi

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
export PORT=${API_HOST_PORT:-$(free_port)}
export WEB_PORT=${WEB_HOST_PORT:-$(free_port)}
# The stack is configured as the README says: .env.example with generated secrets (scripts/init-env.sh),
# only the published ports may differ.
mkdir -p artifacts
ENV_FILE=artifacts/compose.env
rm -f "$ENV_FILE"
bash scripts/init-env.sh "$ENV_FILE" >/dev/null
env_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -1; }
API_KEY=${MENDFLOW_BOOTSTRAP_API_KEY:-$(env_value MENDFLOW_BOOTSTRAP_API_KEY)}
export MENDFLOW_BOOTSTRAP_API_KEY=$API_KEY
[ ${#API_KEY} -ge 24 ] || die "MENDFLOW_BOOTSTRAP_API_KEY in .env.example must have at least 24 characters"

compose() { "${COMPOSE[@]}" -p "$PROJECT" --env-file "$ENV_FILE" "${FILES[@]}" "$@"; }
# The optional monitoring profile must render too (its images are not pulled or started here).
compose --profile observability config -q || die "the compose profile 'observability' does not render"
compose --profile observability config --services | grep -x prometheus >/dev/null ||
  die "the compose profile 'observability' has no prometheus service"
log "using: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?')), files: ${FILES[*]}, API on 127.0.0.1:$PORT, web on 127.0.0.1:$WEB_PORT"

dump_logs() {
  log "---- compose ps ----"; compose ps -a >&2 || compose ps >&2 || true
  log "---- last logs ----"; compose logs --no-color --tail=120 >&2 || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ $status -ne 0 ]; then dump_logs; fi
  log "down -v"
  compose down -v --remove-orphans >/dev/null 2>&1 || compose down -v >&2 || true
  if [ $STARTED_ENGINE = 1 ] && [ "${KEEP_ENGINE:-0}" != 1 ]; then
    log "stopping the engine this script started"; bash "$STANDINS" down >&2 || true
  fi
  if [ $status -eq 0 ]; then log "PASS in $((SECONDS - T0)) s"; else log "FAILED (exit $status) after $((SECONDS - T0)) s"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

compose config -q || die "docker-compose.yml does not validate"
compose down -v --remove-orphans >/dev/null 2>&1 || true   # leftovers of an interrupted run

# ---- build ----
if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building images (migrate, web, api, worker)"
  build_flags=()
  if [ "${COMPOSE[0]}" = docker-compose ]; then build_flags+=(--force-rm); fi
  build_start=$SECONDS
  mkdir -p artifacts
  if ! compose build "${build_flags[@]}" migrate web api worker >artifacts/compose-build.log 2>&1; then
    grep -E -m40 'npm error (code|Missing|[A-Z][a-z])|error TS|Error:|ERR!|failed to build' artifacts/compose-build.log >&2 || true
    log "---- end of the build log ----"; tail -15 artifacts/compose-build.log >&2
    die "image build failed (full log: artifacts/compose-build.log)"
  fi
  log "images built in $((SECONDS - build_start)) s"
  docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
    | grep -E "^mendflow-(api|worker|web|migrate):${MENDFLOW_TAG:-local} " | sed 's/^/  /' >&2 || true
fi

# ---- up ----
log "up -d (two workers)"
compose up -d --no-build --scale worker=2 >&2 || die "compose up failed"

# ---- wait for the API ----
BASE="http://127.0.0.1:$PORT"
WEB="http://127.0.0.1:$WEB_PORT"
log "waiting for $BASE/readyz (timeout ${READY_TIMEOUT}s)"
deadline=$((SECONDS + READY_TIMEOUT))
until node -e "fetch('$BASE/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; do
  migrate_id=$(compose ps -q migrate 2>/dev/null || true)
  if [ -n "$migrate_id" ]; then
    migrate_state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$migrate_id" 2>/dev/null || true)
    case "$migrate_state" in exited\ 0 | running* | created* | "") ;; *) die "migrate ended: $migrate_state" ;; esac
  fi
  [ $SECONDS -lt $deadline ] || die "the API was not ready within ${READY_TIMEOUT}s"
  sleep 2
done
log "API ready"

# ---- smoke test over HTTP ----
log "creating an automation and running it"
BASE=$BASE WEB=$WEB API_KEY=$API_KEY RUN_TIMEOUT=$RUN_TIMEOUT node --input-type=module <<'EOF'
const { BASE, WEB, API_KEY } = process.env;
const runTimeoutMs = Number(process.env.RUN_TIMEOUT) * 1000;
const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
const fail = (message) => { console.error(`  FAIL: ${message}`); process.exit(1); };
async function call(method, url, body, expected) {
  const res = await fetch(url, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (res.status !== expected) fail(`${method} ${url} answered ${res.status}, expected ${expected}: ${text.slice(0, 500)}`);
  console.error(`  ${method} ${url.replace(/^https?:\/\/[^/]+/, '')} -> ${res.status}`);
  return json;
}

const automation = await call('POST', `${BASE}/api/v1/automations`, {
  name: 'compose-smoke',
  source: "export default async function run(input, ctx) { ctx.log.info('hi'); return { sum: input.a + input.b }; }",
}, 201);
if (!automation?.id) fail(`no automation id in ${JSON.stringify(automation)}`);

const started = await call('POST', `${BASE}/api/v1/automations/${automation.id}/runs`, { input: { a: 2, b: 3 } }, 202);
if (!started?.id) fail(`no run id in ${JSON.stringify(started)}`);

const deadline = Date.now() + runTimeoutMs;
let run = started;
while (!['succeeded', 'failed', 'cancelled'].includes(run.status)) {
  if (Date.now() > deadline) fail(`run ${started.id} still ${run.status} after ${runTimeoutMs / 1000}s`);
  await new Promise((resolve) => setTimeout(resolve, 250));
  const res = await fetch(`${BASE}/api/v1/runs/${started.id}`, { headers: auth });
  if (!res.ok) fail(`GET /api/v1/runs/${started.id} answered ${res.status}: ${await res.text()}`);
  run = await res.json();
}
if (run.status !== 'succeeded') fail(`run ended ${run.status}: ${JSON.stringify(run.error ?? run)}`);
if (run.output?.sum !== 5) fail(`run output is ${JSON.stringify(run.output)}, expected { sum: 5 }`);
console.error(`  run ${run.id} succeeded with output ${JSON.stringify(run.output)}`);

// The web UI answers, and its same-origin proxy (API_URL=http://api-frontdoor:4000, read at run time) reaches the API.
const page = await fetch(`${WEB}/`);
const html = await page.text();
if (page.status !== 200 || !html.includes('Mendflow')) fail(`web / answered ${page.status}`);
if (!/'nonce-/.test(page.headers.get('content-security-policy') ?? '')) fail('web / has no nonce CSP');
console.error('  GET web / -> 200, with a nonce CSP');
const viaWeb = await call('GET', `${WEB}/api/v1/runs?limit=50`, undefined, 200);
if (!viaWeb.items?.some((item) => item.id === run.id)) fail('the run is missing from /api/v1/runs through the web proxy');
const noKey = await fetch(`${WEB}/api/v1/runs?limit=1`);
if (noKey.status !== 401) fail(`web proxy without a key answered ${noKey.status}, expected 401`);
if (noKey.headers.has('x-middleware-rewrite')) fail('the web proxy told the client the API address');
console.error('  GET web /api/v1/runs without a key -> 401');
EOF
log "smoke test passed"
