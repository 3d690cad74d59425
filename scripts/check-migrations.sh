#!/usr/bin/env bash
# Fails when prisma/schema.prisma and the committed migrations disagree (a migration was not generated).
# The shadow database the comparison needs is created and dropped by prisma/migration-adapter.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
set +e
diff=$(npx --no-install prisma migrate diff --from-migrations prisma/migrations \
  --to-schema-datamodel prisma/schema.prisma --script --exit-code 2>/tmp/mendflow-drift.err)
code=$?
set -e
case $code in
  0) echo "migrations match prisma/schema.prisma" ;;
  2) echo "prisma/schema.prisma has changes no migration contains. Generate one with:" >&2
     echo "  npx prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script" >&2
     echo "$diff" >&2; exit 1 ;;
  *) echo "could not compare the migrations with the schema:" >&2; cat /tmp/mendflow-drift.err >&2; exit 1 ;;
esac
