import { defaultManifest } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import { AutomationsRepository } from './automations.repository';
import { type RunFilters, RunsRepository } from './runs.repository';

let database: TestDatabase;
let db: Db;
let runs: RunsRepository;
let workspaceId: string;
let first: string;
let second: string;
/** Every run of the workspace as the list must order it: created_at desc, then id desc. */
let all: { id: string; status: string; automationId: string; createdAt: Date }[];

beforeAll(async () => {
  database = await createTestDatabase('runs_list');
  db = createDb(database.url, { poolSize: 4 });
  runs = new RunsRepository(db);
  const seeded = await seedAutomation(db, 'list-first');
  workspaceId = seeded.workspaceId;
  first = seeded.automationId;
  const made = await new AutomationsRepository(db).create(workspaceId, {
    name: 'list-second',
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: defaultManifest(),
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
  second = made.id;
  const versions = { [first]: seeded.versionId, [second]: made.deployedVersion!.id };
  // 40 runs over 10 instants (4 runs share each created_at, so the id decides their order), both
  // automations and three statuses interleaved; queued ones only among the newest.
  for (let i = 0; i < 40; i++) {
    const automationId = i % 3 === 0 ? second : first;
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId: versions[automationId]!,
      trigger: 'api',
      input: { i },
    });
    const status = i >= 36 ? 'queued' : i % 4 === 1 ? 'failed' : 'succeeded';
    await db.$executeRaw`
      UPDATE runs SET status = ${status},
        created_at = timestamptz '2026-11-01T00:00:00Z' + make_interval(mins => ${Math.floor(i / 4)})
      WHERE id = ${run.id}::uuid`;
  }
  const other = await seedAutomation(db, 'list-other');
  await runs.createQueued(other.workspaceId, { ...other, trigger: 'api', input: null });
  all = await db.$queryRaw`
    SELECT id, status, automation_id AS "automationId", created_at AS "createdAt" FROM runs
    WHERE workspace_id = ${workspaceId}::uuid ORDER BY created_at DESC, id DESC`;
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** Every page of a listing, following nextCursor. */
async function everyPage(filters: RunFilters, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await runs.list(workspaceId, filters, { limit, cursor });
    pages.push(page.items.map((run) => run.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

describe('RunsRepository.list (keyset pages, PostgreSQL)', () => {
  const cases: [string, RunFilters, (run: (typeof all)[number]) => boolean][] = [
    ['no filter', {}, () => true],
    ['a status', { status: 'failed' }, (run) => run.status === 'failed'],
    ['an automation', { automationId: 'second' }, (run) => run.automationId === second],
    [
      'a status and an automation',
      { status: 'succeeded', automationId: 'first' },
      (run) => run.status === 'succeeded' && run.automationId === first,
    ],
  ];
  it.each(cases)(
    'pages through %s in order, ties broken by id, without gaps or repeats',
    async (_, f, keep) => {
      const filters = {
        ...f,
        ...(f.automationId && { automationId: f.automationId === 'first' ? first : second }),
      };
      const expected = all.filter(keep).map((run) => run.id);
      const pages = await everyPage(filters, 3);
      expect(pages.flat()).toEqual(expected);
      // Full pages until the last one, which is never empty unless nothing matches at all.
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(3);
      expect(pages.at(-1)!.length).toBeGreaterThan(0);
    },
  );

  it('continues from a deep cursor with exactly the runs after it', async () => {
    const page = await runs.list(workspaceId, {}, { limit: 25 });
    const next = await runs.list(workspaceId, {}, { limit: 10, cursor: page.nextCursor! });
    expect(next.items.map((run) => run.id)).toEqual(all.slice(25, 35).map((run) => run.id));
    const last = await runs.list(workspaceId, {}, { limit: 10, cursor: next.nextCursor! });
    expect(last.items.map((run) => run.id)).toEqual(all.slice(35).map((run) => run.id));
    expect(last.nextCursor).toBeNull();
  });

  it('answers an empty page past the last run of a status (a cursor older than every queued run)', async () => {
    const queued = await runs.list(workspaceId, { status: 'queued' }, { limit: 4 });
    expect(queued.items.map((run) => run.id)).toEqual(
      all.filter((run) => run.status === 'queued').map((r) => r.id),
    );
    expect(queued.nextCursor).toBeNull();
    const older = await runs.list(workspaceId, {}, { limit: 20 });
    const past = await runs.list(workspaceId, { status: 'queued' }, { limit: 4, cursor: older.nextCursor! });
    expect(past).toEqual({ items: [], nextCursor: null });
  });
});
