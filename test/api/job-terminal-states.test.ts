/**
 * Every terminal state of the queue reaches the Job and Run rows (issue 10, item 3): with retries
 * exhausted (ALIGN_JOB_RETRIES=0), a worker killed with SIGKILL leaves a job that pg-boss marks failed;
 * the Job and its Run must end failed with the reason, and the same request can then be retried.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';
import { registerWideLayer, startRemoteWorker, waitForStage } from '../helpers/remote-workers';

let app: TestApp;
let set: RegisteredSet;
let wideLayerId: string;
const workers: ChildProcess[] = [];
const QUEUE_ENV = { ALIGN_JOB_STALE_SECONDS: '3', ALIGN_JOB_RETRIES: '0', ALIGN_JOB_MAINTENANCE_SECONDS: '2' };

function startWorker(): ChildProcess {
  const child = startRemoteWorker(app, QUEUE_ENV);
  workers.push(child);
  return child;
}

beforeAll(async () => {
  app = await startTestApp({ ALIGN_WORKERS: '0', ...QUEUE_ENV });
  set = await registerSyntheticSet(app, 'syn-terminal', { images: 750, sessions: 2 });
  wideLayerId = await registerWideLayer(app, set, 11);
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await app?.close();
});

describe('terminal states reach the Job and Run rows', () => {
  it('fails the job and the run when the last attempt loses its worker, and the request can be retried', async () => {
    const request = {
      datasetId: set.datasetId,
      subject: 1,
      atlas: 'prf-visualrois',
      rois: ['V1v'],
      layerIds: [wideLayerId],
    };
    const worker = startWorker();
    const run = (await (await app.request('/v1/alignments', { method: 'POST', auth: true, json: request })).json())
      .runs[0];
    await waitForStage(app, run.jobId, /^fitting/, 90_000);
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));

    const job = await waitForJob(app, run.jobId, ['failed', 'completed', 'cancelled'], 60_000);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/worker stopped responding/);
    expect(job.failure).toEqual({ kind: 'lost-worker', message: job.error });
    expect(job.error).toContain(`pid ${worker.pid}`);
    const failed = await (await app.request(`/v1/runs/${run.id}`)).json();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/worker stopped responding/);
    expect(failed.scores).toEqual([]);
    const boss = await app.db.prisma.$queryRaw<
      { state: string }[]
    >`SELECT state::text FROM pgboss.job WHERE id = ${run.jobId}::uuid`;
    expect(boss.map((b) => b.state)).toEqual(['failed']);

    // The same request re-queues the failed run, and a live worker completes it.
    startWorker();
    const again = (await (await app.request('/v1/alignments', { method: 'POST', auth: true, json: request })).json())
      .runs[0];
    expect(again.id).toBe(run.id);
    expect(again.jobId).not.toBe(run.jobId);
    expect((await waitForJob(app, again.jobId, ['completed', 'failed'], 240_000)).state).toBe('completed');
    expect(await app.db.prisma.score.count({ where: { runId: run.id } })).toBe(1);
  }, 400_000);
});
