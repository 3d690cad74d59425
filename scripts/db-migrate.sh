#!/usr/bin/env bash
# npm run db:migrate: creates the database named by DATABASE_URL when it does not exist yet (and says
# so), then applies the migrations. Reads .env when present (the real environment wins).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load-env.sh
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
node scripts/ensure-database.mjs
npx --no-install prisma migrate deploy
