/**
 * The driver adapter the Prisma CLI's WASM schema engine uses for migrations (see prisma/README.md).
 * Prisma 6.19.3's @prisma/adapter-pg needs four corrections for migrations, made here and nowhere else:
 *  1. columns of PostgreSQL's `name` (19) and `"char"` (18) types, which the schema engine's catalog
 *     queries return, have no column-type mapping (prisma/orm#27403); they are read as text (25);
 *  2. `executeScript` splits scripts on ";", which breaks `$$` bodies; the server runs the whole script;
 *  3. with a connection string, the shadow database silently is the main database (pg lets the string
 *     win over `database`), so the shadow pool is given explicit fields;
 *  4. the shadow database was dropped while its pool was still open; it is closed first, then dropped.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

const TEXT_OID = 25;
const UNMAPPED_OIDS = new Set([18, 19]);

interface QueryResult {
  fields?: { dataTypeID: number }[];
}

interface PatchableQueryable {
  performIO(query: unknown): Promise<QueryResult | QueryResult[]>;
  executeScript(script: string): Promise<void>;
  client: { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
}

let patched = false;
function patchQueryablePrototype(adapter: object): void {
  if (patched) return;
  // PrismaPgAdapter (owns executeScript) -> PgQueryable (owns performIO, shared with transactions).
  const own = Object.getPrototypeOf(adapter) as PatchableQueryable;
  const base = Object.getPrototypeOf(own) as PatchableQueryable;
  const performIO = base.performIO;
  base.performIO = async function (this: PatchableQueryable, query) {
    const result = await performIO.call(this, query);
    // A multi-statement script (run by the schema engine through executeRaw) yields one result per statement.
    for (const part of Array.isArray(result) ? result : [result]) {
      for (const field of part.fields ?? [])
        if (UNMAPPED_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
    return result;
  };
  own.executeScript = async function (this: PatchableQueryable, script) {
    try {
      await this.client.query(script);
    } catch (error) {
      this.onError(error);
    }
  };
  patched = true;
}

function poolConfig(url: string, database?: string): pg.PoolConfig {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname) || 'localhost',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    database: database ?? decodeURIComponent(parsed.pathname.slice(1)),
    max: 2,
  };
}

export function migrationAdapter(url: string) {
  const main = new PrismaPg(poolConfig(url));
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    async connect() {
      const adapter = await main.connect();
      patchQueryablePrototype(adapter);
      return adapter;
    },
    async connectToShadowDb() {
      const admin = new pg.Client(poolConfig(url));
      await admin.connect();
      const database = `mendflow_shadow_${crypto.randomUUID().replaceAll('-', '')}`;
      await admin.query(`CREATE DATABASE "${database}"`);
      const shadowFactory = new PrismaPg(poolConfig(url, database));
      const shadow = await shadowFactory.connect();
      patchQueryablePrototype(shadow);
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        try {
          await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      };
      return shadow;
    },
  };
}
