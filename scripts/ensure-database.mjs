// Creates the database DATABASE_URL names when the server has no such database yet; says what it did.
// Connects to the server's maintenance database (postgres) with the same credentials to create it.
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('[db] DATABASE_URL is missing: set it in the environment or in .env (see .env.example)');
  process.exit(1);
}
const target = new URL(url);
const name = decodeURIComponent(target.pathname.slice(1));
if (!name) {
  console.error(`[db] DATABASE_URL names no database (${target.protocol}//${target.host}/<name>)`);
  process.exit(1);
}

async function tryConnect(connectionString) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  return client;
}

try {
  const client = await tryConnect(url);
  await client.end();
} catch (error) {
  // 3D000: invalid_catalog_name, "database … does not exist".
  if (error.code !== '3D000') {
    console.error(`[db] cannot reach PostgreSQL at ${target.host}: ${error.message}`);
    process.exit(1);
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = await tryConnect(maintenance.toString());
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    console.log(`[db] created database "${name}" on ${target.host}`);
  } catch (createError) {
    // Another process created it in between: that is what we wanted.
    if (createError.code !== '42P04') throw createError;
  } finally {
    await admin.end();
  }
}
