/**
 * Workers in other processes (as on other machines): a worker killed mid-job (SIGKILL) loses its job
 * to the reaper and another worker finishes it with exactly one set of scores; a job cancelled over
 * HTTP while a remote worker runs it ends cancelled with no scores; a study whose worker is killed mid-way
 * still completes with exactly one result per cell.
 * The workers run without the native addon and fit a wide layer, so a job lasts long enough to interrupt.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';
import { registerWideLayer, startRemoteWorker, waitForStage as waitForJobStage } from '../helpers/remote-workers';

let app: TestApp;
let set: RegisteredSet;
let wideLayerId: string;
const workers: ChildProcess[] = [];

function startWorker(): ChildProcess {
  const child = startRemoteWorker(app);
  workers.push(child);
  return child;
}

const waitForStage = (jobId: string, pattern: RegExp, timeoutMs?: number) =>
  waitForJobStage(app, jobId, pattern, timeoutMs);

beforeAll(async () => {
  // This process only serves HTTP and reaps lost jobs; the work happens in child processes.
  app = await startTestApp({ ALIGN_WORKERS: '0', ALIGN_JOB_STALE_SECONDS: '3' });
  set = await registerSyntheticSet(app, 'syn-workers', { images: 750, sessions: 2 });
  wideLayerId = await registerWideLayer(app, set, 7);
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await app?.close();
});

describe('workers in separate processes', () => {
  it('finishes a job whose worker was killed mid-way, with exactly one set of scores', async () => {
    const first = startWorker();
    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 1,
        atlas: 'prf-visualrois',
        rois: ['V1v', 'V2v'],
        layerIds: [wideLayerId],
      },
    });
    const run = (await res.json()).runs[0];
    // Prime this process's read cache while the job runs elsewhere.
    const matrixUrl = `/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois`;
    const before = await (await app.request(matrixUrl)).json();
    const wideRow = before.layers.findIndex((l: { id: string }) => l.id === wideLayerId);
    expect(before.values[wideRow].every((v: number | null) => v === null)).toBe(true);
    await waitForStage(run.jobId, /^fitting/);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await app.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe('running');

    startWorker();
    const job = await waitForJob(app, run.jobId, ['completed', 'failed'], 240_000);
    expect(job.state).toBe('completed');
    const done = await (await app.request(`/v1/runs/${run.id}`)).json();
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.scores.map((s: { roi: string }) => s.roi)).toEqual(['V1v', 'V2v']);
    expect(await app.db.prisma.score.count({ where: { runId: run.id } })).toBe(2);
    // The worker process's commit reached this process (NOTIFY) and emptied its cache.
    const after = await (await app.request(matrixUrl)).json();
    expect(after.values[wideRow][after.rois.indexOf('V1v')]).toBe(done.scores[0].value);
  }, 300_000);

  it('cancels a job running in another process: state cancelled, no scores', async () => {
    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 1,
        atlas: 'prf-visualrois',
        rois: ['V1v', 'V2v', 'V3v'],
        layerIds: [wideLayerId],
        folds: { k: 4, seed: 1 },
      },
    });
    const run = (await res.json()).runs[0];
    await waitForStage(run.jobId, /^fitting/);
    const del = await app.request(`/v1/jobs/${run.jobId}`, { method: 'DELETE', auth: true });
    expect(del.status).toBe(202);
    const job = await waitForJob(app, run.jobId, ['cancelled', 'completed', 'failed'], 60_000);
    expect(job.state).toBe('cancelled');
    const r = await (await app.request(`/v1/runs/${run.id}`)).json();
    expect(r.status).toBe('cancelled');
    expect(r.scores).toEqual([]);
    expect(await app.db.prisma.score.count({ where: { runId: run.id } })).toBe(0);
    // A cancelled run can be asked for again and then completes.
    const again = await (
      await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: set.datasetId,
          subject: 1,
          atlas: 'prf-visualrois',
          rois: ['V1v', 'V2v', 'V3v'],
          layerIds: [wideLayerId],
          folds: { k: 4, seed: 1 },
        },
      })
    ).json();
    expect(again.runs[0].id).toBe(run.id);
    expect((await waitForJob(app, again.runs[0].jobId, ['completed', 'failed'], 240_000)).state).toBe('completed');
    expect(await app.db.prisma.score.count({ where: { runId: run.id } })).toBe(3);
  }, 300_000);

  it('completes a study whose worker was killed mid-way, with exactly one result per cell', async () => {
    const rois = [
      'prf-visualrois/V1v',
      'nsdgeneral/nsdgeneral',
      { name: 'V12', members: ['prf-visualrois/V1v', 'prf-visualrois/V2v'] },
    ];
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: ['subj01'],
        layerIds: [wideLayerId, set.layerIds[0]],
        representations: ['neurons'],
        rois,
        folds: { k: 3, seed: 5 },
      },
    });
    expect(res.status).toBe(202);
    const study = await res.json();
    const first = study.cells.find((c: { layerId: string }) => c.layerId === wideLayerId);
    await waitForStage(first.jobId, /^fitting/);
    const live = workers.filter((w) => w.exitCode === null && w.signalCode === null);
    expect(live).toHaveLength(1);
    live[0].kill('SIGKILL');
    await new Promise((r) => live[0].once('exit', r));
    startWorker();
    const deadline = Date.now() + 240_000;
    let s = study;
    while (!['succeeded', 'failed', 'cancelled'].includes(s.state)) {
      if (Date.now() > deadline) throw new Error(`study still ${s.state}`);
      await new Promise((r) => setTimeout(r, 300));
      s = await (await app.request(`/v1/studies/${study.id}`)).json();
    }
    expect(s.state).toBe('succeeded');
    expect(s.results).toHaveLength(2 * 3);
    const runs = await app.db.prisma.run.findMany({ where: { studyId: study.id } });
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.layerId === wideLayerId)!.attempts).toBe(2);
    for (const r of runs) expect(await app.db.prisma.score.count({ where: { runId: r.id } })).toBe(3);
    expect(new Set(s.results.map((r: { runId: string; roi: string }) => `${r.runId}/${r.roi}`)).size).toBe(6);
  }, 300_000);
});
