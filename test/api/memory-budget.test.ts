/**
 * Memory checked before a job runs (services/memory.ts): with a small ALIGN_WORKER_MEMORY_MB, a study over a layer
 * whose unit is estimated above it is refused at POST with 422 /problems/memory-budget naming the unit (subject,
 * layer, representations) and the estimate against the budget, and nothing is created or queued; the same study
 * over a narrow layer passes, and the wide one passes with a large budget. POST /v1/alignments is checked too.
 * No worker runs (ALIGN_WORKERS=0): only what POST does is tested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROCESS_BYTES, toMiB } from '../../src/compute/memory-estimate';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, type RegisteredSet } from '../helpers/flow';

// A budget a little above the process's own footprint: a narrow layer's unit fits, a 16,384-unit one does not.
const SMALL_BUDGET = toMiB(PROCESS_BYTES) + 96;
const LAYERS = [
  { name: 'narrow', units: 16 },
  { name: 'wide', units: 16384 },
];
const synthetic = { subjects: 1, images: 600, sessions: 2, layers: LAYERS };

let tight: TestApp;
let roomy: TestApp;
let set: RegisteredSet;
let roomySet: RegisteredSet;

beforeAll(async () => {
  const env = { ALIGN_WORKERS: '0' };
  tight = await startTestApp({ ...env, ALIGN_WORKER_MEMORY_MB: String(SMALL_BUDGET) });
  roomy = await startTestApp({ ...env, ALIGN_WORKER_MEMORY_MB: '1000000' });
  set = await registerSyntheticSet(tight, 'mem-tight', synthetic);
  roomySet = await registerSyntheticSet(roomy, 'mem-roomy', synthetic);
}, 240_000);
afterAll(async () => {
  await tight?.close();
  await roomy?.close();
});

const study = (s: RegisteredSet, layerIds: string[]) => ({
  datasetId: s.datasetId,
  subjects: ['subj01'],
  layerIds,
  representations: ['neurons'],
  // nsdgeneral overlaps V1v: the union's bound (members summed) is above the union counted from the masks
  rois: ['prf-visualrois/V1v', 'nsdgeneral/nsdgeneral'],
  folds: { k: 5, seed: 0 },
});

describe('ALIGN_WORKER_MEMORY_MB at POST', () => {
  it('refuses a study whose unit is over the budget, naming the unit and the estimate; nothing is queued', async () => {
    const res = await tight.request('/v1/studies', { method: 'POST', auth: true, json: study(set, set.layerIds) });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const p = await res.json();
    expect(p.type).toBe('/problems/memory-budget');
    expect(p.detail).toMatch(/unit subj01 x layer "wide" \(neurons\) needs about \d+ MiB/);
    expect(p.detail).toContain(`budget of ${SMALL_BUDGET} MiB (ALIGN_WORKER_MEMORY_MB)`);
    // only the wide layer's unit, at the field naming it
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0].field).toBe('body.layerIds[1]');
    const m = /estimated peak (\d+) MiB > budget (\d+) MiB/.exec(p.errors[0].reason)!;
    expect(Number(m[1])).toBeGreaterThan(SMALL_BUDGET);
    expect(Number(m[2])).toBe(SMALL_BUDGET);
    const prisma = tight.service.db.prisma;
    expect(await prisma.study.count()).toBe(0);
    expect(await prisma.run.count()).toBe(0);
    const jobs = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
      "SELECT count(*)::bigint AS n FROM pgboss.job WHERE name = 'alignment'",
    );
    expect(Number(jobs[0].n)).toBe(0);
  });

  it('accepts the narrow layer under the same budget, and the wide one under a large budget', async () => {
    const narrow = await tight.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: study(set, [set.layerIds[0]]),
    });
    expect(narrow.status).toBe(202);
    const both = await roomy.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: study(roomySet, roomySet.layerIds),
    });
    expect(both.status).toBe(202);
    expect((await both.json()).progress.jobs.total).toBe(2);
  });

  it('refuses an alignment run over the budget the same way', async () => {
    const res = await tight.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        rois: ['V1v'],
        layerIds: [set.layerIds[1]],
        representation: 'neurons',
        preset: 'paper',
        folds: { k: 5, seed: 0 },
      },
    });
    expect(res.status).toBe(422);
    const p = await res.json();
    expect(p.errors[0]).toMatchObject({ field: 'body.layerIds[0]' });
    expect(p.errors[0].reason).toMatch(/unit subj01 x layer "wide" \(neurons\)/);
  });
});
