/**
 * The README's run command on the embedded default: `npm start` with no DATABASE_URL brings up an
 * embedded PostgreSQL under the data directory, answers /v1/health, stops cleanly on SIGTERM, and a
 * second start reuses the same data without re-applying migrations.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';
import {
  logLine,
  SERVICE_ADMIN_KEY as ADMIN_KEY,
  startService,
  stopService as stop,
  type Started,
} from '../helpers/service';

const start = (dataDir: string, port: number, pgPort: number): Promise<Started> =>
  startService(dataDir, port, { ALIGN_PG_PORT: String(pgPort) });

function appliedMigrations(logs: string[]): string[] {
  return logLine(logs, 'database ready').appliedMigrations as string[];
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('service lifecycle on the embedded database', () => {
  it('starts, serves, stops on SIGTERM, and restarts on the same data', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'align-life-'));
    await chmod(base, 0o755);
    dirs.push(base);
    const dataDir = path.join(base, 'data');
    const pgPort = await freePort();

    const first = await start(dataDir, await freePort(), pgPort);
    const health = await (await fetch(`${first.url}/v1/health`)).json();
    expect(health.database).toMatchObject({ status: 'up', embedded: true });
    expect(appliedMigrations(first.logs).length).toBeGreaterThan(0);
    const created = await fetch(`${first.url}/v1/models`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'survives-restart' }),
    });
    expect(created.status).toBe(201);
    expect(await stop(first)).toBe(true);
    // The embedded server shut down with the service (it removes its pid file on a clean stop).
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await start(dataDir, await freePort(), pgPort);
    expect(appliedMigrations(second.logs)).toEqual([]);
    const models = await (await fetch(`${second.url}/v1/models`)).json();
    expect(models.items.map((m: { name: string }) => m.name)).toEqual(['survives-restart']);
    expect(await stop(second)).toBe(true);
  }, 180_000);
});
