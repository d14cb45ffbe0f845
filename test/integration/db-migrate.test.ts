/** The start-up migration runner records migrations exactly as Prisma Migrate does. */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR, MigrationError } from '../../src/db/migrate';
import { createEmptyDatabase } from '../helpers/db';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function rowsOf(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT * FROM "_prisma_migrations" ORDER BY started_at');
    return rows as {
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      applied_steps_count: number;
      rolled_back_at: Date | null;
      logs: string | null;
    }[];
  } finally {
    await c.end();
  }
}

describe('applyMigrations', () => {
  it('applies every migration once, with sha256 checksums and finished timestamps, and is idempotent', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const first = await applyMigrations(db.url);
    expect(first.length).toBeGreaterThan(0);
    const rows = await rowsOf(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(first);
    for (const r of rows) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.applied_steps_count).toBe(1);
      expect(r.rolled_back_at).toBeNull();
      expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await applyMigrations(db.url)).toEqual([]);
    expect((await rowsOf(db.url)).length).toBe(rows.length);
  });

  it('serialises concurrent starters (several workers starting at once)', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const results = await Promise.all([applyMigrations(db.url), applyMigrations(db.url), applyMigrations(db.url)]);
    expect(results.flat().length).toBe((await rowsOf(db.url)).length);
  });

  it('refuses to start when an applied migration file was modified', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-mig-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const [name] = await applyMigrations(db.url, dir);
    await writeFile(
      path.join(dir, name, 'migration.sql'),
      `-- edited\n${await readFile(path.join(dir, name, 'migration.sql'), 'utf8')}`,
    );
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(MigrationError);
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(/modified/);
  });

  it('rolls back a failing migration completely and leaves it retryable', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-mig-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const bad = path.join(dir, '99990101000000_broken');
    await cp(path.join(dir, (await applyMigrations(db.url, dir))[0]), bad, { recursive: true });
    await writeFile(path.join(bad, 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT no_such_function();\n');
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(/99990101000000_broken failed/);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query('SELECT to_regclass(\'public."Half"\') AS t');
    await c.end();
    expect(rows[0].t).toBeNull();
    expect((await rowsOf(db.url)).map((r) => r.migration_name)).not.toContain('99990101000000_broken');
    await writeFile(path.join(bad, 'migration.sql'), 'CREATE TABLE "Half" (id int);\n');
    expect(await applyMigrations(db.url, dir)).toEqual(['99990101000000_broken']);
  });
});
