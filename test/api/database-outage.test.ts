/**
 * The database stopped under a running service and started again: during the outage requests get 503
 * /problems/database-unavailable with Retry-After (not 500) and /v1/health says the database is down and why;
 * the in-process worker survives, the job it was running finishes with exactly one set of scores, and the
 * app serves and runs new jobs once the database is back. The service runs on its own embedded PostgreSQL
 * (not the run's shared one), which this test stops and starts.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Db } from '../../src/db/client';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';
import { freePort } from '../helpers/ports';

let base: string;
let port: number;
let pg: EmbeddedServer;
let app: TestApp;
let set: RegisteredSet;
let prisma: Db;

const startPg = () => startEmbeddedPostgres({ dir: path.join(base, 'pg'), port, database: 'align' });

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'align-outage-'));
  await chmod(base, 0o755); // as root the server runs as the postgres user
  port = await freePort();
  pg = await startPg();
  app = await startTestApp({
    DATABASE_URL: pg.url,
    ALIGN_JOB_STALE_SECONDS: '3',
    ALIGN_JOB_POLL_SECONDS: '0.5',
  });
  prisma = createPrismaClient(pg.url, 2);
  set = await registerSyntheticSet(app, 'syn-outage', { images: 300, sessions: 1, trialsPerSession: 600 });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await pg?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

const align = async (rois: string[]) => {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: { datasetId: set.datasetId, subject: 1, atlas: 'prf-visualrois', rois, layerIds: [set.layerIds[0]] },
  });
  expect(res.status).toBe(202);
  return (await res.json()).runs[0] as { id: string; jobId: string };
};

async function waitForRunning(jobId: string) {
  for (let i = 0; i < 600; i++) {
    const job = await (await app.request(`/v1/jobs/${jobId}`)).json();
    if (job.state !== 'queued') return job.state;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('job never started');
}

describe('PostgreSQL stopped and started under the service', () => {
  it('answers 503 with Retry-After, reports the outage, and recovers with its worker alive', async () => {
    expect((await (await app.request('/v1/health')).json()).database.status).toBe('up');
    const run = await align(['V1v', 'V2v']);
    await waitForRunning(run.jobId);

    await pg.stop();
    const during = await app.request(`/v1/jobs/${run.jobId}`);
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = await during.json();
    expect(problem.type).toBe('/problems/database-unavailable');
    expect(problem.detail).toMatch(/database is unavailable/);
    const write = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'during-outage' } });
    expect(write.status).toBe(503);

    const health = await app.request('/v1/health');
    expect(health.status).toBe(503);
    const h = await health.json();
    expect(h.status).toBe('degraded');
    expect(h.database.status).toBe('down');
    expect(h.database.error).toMatch(/database server/);
    expect(h.database.error).not.toMatch(/\/|127\.0\.0\.1/);

    // Longer than ALIGN_JOB_STALE_SECONDS: the heartbeat could not be written, yet the job is not taken away.
    await new Promise((r) => setTimeout(r, 5000));
    pg = await startPg();

    const job = await waitForJob(app, run.jobId, ['completed', 'failed'], 120_000);
    expect(job.state).toBe('completed');
    expect(await prisma.score.count({ where: { runId: run.id } })).toBe(2);
    const done = await (await app.request(`/v1/runs/${run.id}`)).json();
    expect(done.status).toBe('succeeded');

    const healthAfter = await app.request('/v1/health');
    expect(healthAfter.status).toBe(200);
    expect((await healthAfter.json()).database).toMatchObject({ status: 'up' });
    // The same worker takes new work.
    const next = await align(['V3v']);
    expect((await waitForJob(app, next.jobId, ['completed', 'failed'], 120_000)).state).toBe('completed');
    expect(await prisma.score.count({ where: { runId: next.id } })).toBe(1);
  }, 300_000);
});
