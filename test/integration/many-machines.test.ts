/**
 * Issue 22 item 6, with real parts only: a PostgreSQL server from the distribution's binaries (not the embedded
 * one), an API process that runs no jobs (ALIGN_WORKERS=0) and two worker processes (`src/main.ts --worker`),
 * each with its own private ALIGN_DATA_DIR and one shared ALIGN_STORE_DIR, as on three machines. A layer is
 * uploaded, an SAE trained on it, and a study run over it; mid-study one worker is killed (SIGKILL) while both
 * are busy, and PostgreSQL is stopped (fast shutdown) for 30 s and started again. The study ends succeeded with
 * exactly one result per cell, and no process but the killed worker exits.
 * Skipped when the distribution's PostgreSQL server is not installed (.ci/run installs Debian's `postgresql`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Db } from '../../src/db/client';
import { TEST_ADMIN_KEY, type TestApp } from '../helpers/app';
import { debianPostgresBin, type DebianPostgres, startDebianPostgres } from '../helpers/debian-postgres';
import { type RegisteredSet, registerSyntheticSet, waitForJob, waitForStudy } from '../helpers/flow';
import { freePort } from '../helpers/ports';

const bin = debianPostgresBin();
const SUBJECTS = 4;
const ROIS = ['prf-visualrois/V1v', 'prf-visualrois/V2v'];
const OUTAGE_MS = 30_000;

let base: string;
let server: DebianPostgres;
let prisma: Db;
let api: TestApp;
let set: RegisteredSet;
const procs = new Map<string, ChildProcess>();
const exits: string[] = [];

/**
 * Jobs retried quickly (short stale period, fast polling) so that the test is short; the stale period still
 * exceeds how long a busy machine may hold a worker's event loop between heartbeats.
 */
const JOB_ENV = {
  ALIGN_JOB_STALE_SECONDS: '10',
  ALIGN_JOB_POLL_SECONDS: '0.5',
  ALIGN_JOB_MAINTENANCE_SECONDS: '5',
  ALIGN_JOB_EXPIRE_SECONDS: '600',
  ALIGN_JOB_RETRIES: '2',
};

/** One service process (as on its own machine): private data folder, shared database, store and dataset root. */
function startProcess(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: server.url('align'),
      ALIGN_DATA_DIR: path.join(base, `${name}-private`),
      ALIGN_STORE_DIR: path.join(base, 'shared-store'),
      ALIGN_DATA_ROOTS: path.join(base, 'data'),
      ALIGN_ADMIN_KEY: TEST_ADMIN_KEY,
      ALIGN_NATIVE: '0',
      ALIGN_BACKEND: 'wasm',
      LOG_LEVEL: 'info',
      ...JOB_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(base, `${name}.log`));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on('exit', (code, signal) => exits.push(`${name} exited (${signal ?? code})`));
  procs.set(name, child);
  return child;
}

function apiClient(url: string, dataDir: string): TestApp {
  const request: TestApp['request'] = (pathname, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.auth) headers.set('Authorization', `Bearer ${TEST_ADMIN_KEY}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(url + pathname, { ...init, headers, body });
  };
  return { url, dataDir, request } as TestApp;
}

/** The end of each exited process's log, so that a failure says why a process ended. */
function exitedLogs(): string {
  let out = '';
  for (const name of exits.map((e) => e.split(' ')[0])) {
    let log = '';
    try {
      log = readFileSync(path.join(base, `${name}.log`), 'utf8');
    } catch {
      // No log written yet: the name alone still says which process ended.
    }
    out += `\n--- ${name}.log (end) ---\n${log.slice(-2000)}`;
  }
  return out;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; exits: ${exits.join(', ') || 'none'}${exitedLogs()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (!bin) return;
  base = await mkdtemp(path.join(os.tmpdir(), 'align-machines-'));
  await mkdir(path.join(base, 'data'));
  server = await startDebianPostgres(bin);
  const port = await freePort();
  startProcess('api', [], { PORT: String(port), ALIGN_WORKERS: '0' });
  startProcess('worker1', ['--worker'], {});
  startProcess('worker2', ['--worker'], {});
  api = apiClient(`http://127.0.0.1:${port}`, path.join(base, 'data'));
  await until('the API', async () => (await api.request('/v1/health')).status === 200);
  prisma = createPrismaClient(server.url('align'), 2);
  set = await registerSyntheticSet(api, 'syn', { subjects: SUBJECTS, images: 300, sessions: 1, trialsPerSession: 600 });
}, 240_000);

afterAll(async () => {
  for (const p of procs.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await prisma?.$disconnect();
  await server?.destroy();
  if (base) await rm(base, { recursive: true, force: true });
});

async function uploadLayer(): Promise<string> {
  const l = set.syn.layers[0];
  const form = new FormData();
  form.set('name', 'uploaded');
  form.set('activations', new Blob([await readFile(l.activations)]), 'acts.npy');
  form.set('stimulusIds', new Blob([await readFile(l.stimulusIds)]), 'ids.npy');
  const res = await api.request(`/v1/models/${set.modelId}/layers`, { method: 'POST', auth: true, body: form });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()).id;
}

/** Jobs running now (by their rows: a killed worker's job stays running until it is reaped). */
const running = () => prisma.job.count({ where: { state: 'running' } });

describe.skipIf(!bin)('many machines: real PostgreSQL, an API process and two workers', () => {
  it('finishes a study through a killed worker and a 30 s database outage, one result per cell', async () => {
    const layerId = await uploadLayer();
    const sae = await (
      await api.request(`/v1/layers/${layerId}/saes`, {
        method: 'POST',
        auth: true,
        json: { k: 4, expansion: 2, epochs: 2, batchSize: 64, seed: 1 },
      })
    ).json();
    expect((await waitForJob(api, sae.jobId, ['completed', 'failed'], 180_000)).state).toBe('completed');

    const res = await api.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: Array.from({ length: SUBJECTS }, (_, i) => i + 1),
        layerIds: [layerId],
        representations: ['neurons', { saeId: sae.id }],
        rois: ROIS,
        folds: { k: 3, seed: 2 },
      },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const study = await res.json();
    const cells = SUBJECTS * 2;

    // Both workers busy: kill one mid-job, then stop the database under the other.
    await until('both workers running a job', async () => (await running()) >= 2);
    const killed = procs.get('worker1')!;
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    await server.stop();
    const during = await api.request(`/v1/studies/${study.id}`);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect((await during.json()).type).toBe('/problems/database-unavailable');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await server.start();

    const done = await waitForStudy(api, study.id, 400_000);
    expect(done.state, JSON.stringify(done.progress)).toBe('succeeded');
    expect(done.progress).toMatchObject({ done: cells, total: cells, failed: 0 });
    expect(done.results).toHaveLength(cells * ROIS.length);

    // Exactly one result per cell: one run per subject x representation, one score per ROI of each run.
    const runs = await prisma.run.findMany({ where: { studyId: study.id }, include: { scores: true } });
    expect(runs).toHaveLength(cells);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    for (const r of runs) expect(r.scores.map((s) => s.target).sort()).toEqual(['V1v', 'V2v']);
    // The killed worker's job was taken over (a second attempt) by the live worker.
    expect(runs.some((r) => r.attempts >= 2)).toBe(true);

    expect(exits).toEqual(['worker1 exited (SIGKILL)']);
    expect((await api.request('/v1/health')).status).toBe(200);
  }, 600_000);
});
