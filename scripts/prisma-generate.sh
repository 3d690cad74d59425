#!/usr/bin/env bash
# Generates the Prisma client into libs/db/src/generated (see prisma/README.md). Generation reads no
# database, but Prisma 6.19 falls back to downloading a native engine when DATABASE_URL is unset, so a
# placeholder is given. The generated TypeScript is then made declaration-safe: TypeScript cannot emit
# .d.ts for the JSON null sentinels (anonymous classes with #private, TS4094), so they get explicit types.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export DATABASE_URL="${DATABASE_URL:-postgresql://placeholder@127.0.0.1:5432/placeholder}"
npx --no-install prisma generate
for file in libs/db/src/generated/prisma/internal/prismaNamespace.ts libs/db/src/generated/prisma/internal/prismaNamespaceBrowser.ts; do
  sed -i -E 's/^export const (DbNull|JsonNull|AnyNull) = runtime\.objectEnumValues\.instances\.(DbNull|JsonNull|AnyNull)$/export const \1: typeof runtime.objectEnumValues.instances.\2 = runtime.objectEnumValues.instances.\2/' "$file"
  # ...and so do the enum objects that hold them.
  sed -i -E 's/^  (DbNull|JsonNull|AnyNull): (DbNull|JsonNull|AnyNull)(,?)$/  \1: \2 as typeof \2\3/' "$file"
done
