/**
 * The README's run command on the embedded default: `npm start` with no DATABASE_URL brings up an
 * embedded PostgreSQL under the data directory, answers /v1/health, stops cleanly on SIGTERM, and a
 * second start reuses the same data without re-applying migrations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';

const ADMIN_KEY = 'lifecycle-admin-key-0123456789';


interface Started {
  child: ChildProcess;
  logs: string[];
  url: string;
}

async function start(dataDir: string, port: number, pgPort: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), ALIGN_DATA_DIR: dataDir, ALIGN_PG_PORT: String(pgPort), ALIGN_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const child = spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stdout!.on('data', (d) => logs.push(String(d)));
  child.stderr!.on('data', (d) => logs.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited early:\n${logs.join('')}`);
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.status === 200) return { child, logs, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not become healthy:\n${logs.join('')}`);
}

/** SIGTERM the npm process; resolves true when the service itself shut down cleanly. */
async function stop(s: Started): Promise<boolean> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => s.child.once('close', (code, signal) => resolve({ code, signal })));
  s.child.kill('SIGTERM');
  const { code, signal } = await exited;
  // 'close' waits for the service itself (it holds the pipes); npm relays the signal and may end by it.
  return (code === 0 || signal === 'SIGTERM') && s.logs.join('').includes('"msg":"stopped"');
}

function appliedMigrations(logs: string[]): string[] {
  for (const line of logs.join('').split('\n')) {
    if (line.includes('"database ready"')) return JSON.parse(line).appliedMigrations;
  }
  throw new Error('no "database ready" log line');
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
