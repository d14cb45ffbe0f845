/**
 * The whole alignment slice over HTTP on real Postgres: synthetic NSD set -> layers -> runs (jobs) ->
 * per-ROI scores, folds, voxel maps, score queries and the layer x ROI matrix.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { DEFAULT_MIN_NOISE_CEILING } from '../../src/compute/ridge/presets';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let runIds: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn');
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/alignments', () => {
  it('queues one run per layer and computes per-ROI scores', async () => {
    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        layerIds: set.layerIds,
        preset: 'paper',
        folds: { k: 5, seed: 3 },
      },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.runs).toHaveLength(2);
    expect(res.headers.get('location')).toBe(`/v1/runs/${body.runs[0].id}`);
    runIds = body.runs.map((r: { id: string }) => r.id);

    // Follow the first job over SSE until it ends.
    const events = await fetch(app.url + body.runs[0].links.events);
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await events.text();
    expect(text).toMatch(/event: end\n/);
    const last = JSON.parse(
      text
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .pop()!
        .slice(6),
    );
    expect(last.state).toBe('completed');
    for (const r of body.runs) expect((await waitForJob(app, r.jobId)).state).toBe('completed');

    const run = await (await app.request(`/v1/runs/${runIds[0]}`)).json();
    expect(run.status).toBe('succeeded');
    expect(run.backend).toBe('wasm');
    expect(run.timings.total).toBeGreaterThan(0);
    // Provenance says where the folds ran and why not on the GPU (no GPU on these machines).
    if (!run.versions.linalg.cuda.available) {
      expect(run.versions.linalg.cuda.reason).toBeTruthy();
      expect(run.versions.ridgeEngine).toEqual({ name: 'ts', reason: 'no GPU path (see linalg.cuda.reason)' });
    } else expect(run.versions.ridgeEngine.name).toBe('cuda');
    expect(run.scores.map((s: { roi: string }) => s.roi)).toEqual(['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4']);
    for (const s of run.scores) {
      // The generator drives every ROI from features the layers also carry: clearly positive cosine scores.
      expect(s.value).toBeGreaterThan(0.1);
      expect(s.foldValues).toHaveLength(5);
      expect(s.value).toBeCloseTo(s.foldValues.reduce((a: number, b: number) => a + b, 0) / 5, 10);
      expect(s.alphas).toHaveLength(5);
      expect(s.sem).toBeGreaterThan(0);
      expect(s.nVoxels).toBeGreaterThan(0);
      // The cosine of each voxel's training-mean prediction: a finite floor below the score.
      expect(Number.isFinite(s.baseline)).toBe(true);
      expect(s.value).toBeGreaterThan(s.baseline);
      // The paper preset's targets are layer-normed across the ROI: never normalised by the ncsnr ceiling.
      expect(s.normalised).toBeNull();
    }
    expect(run.inputs.noiseCeiling).toBeUndefined();
  }, 180_000);

  it('returns the same runs for an identical request', async () => {
    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        layerIds: set.layerIds,
        preset: 'paper',
        folds: { k: 5, seed: 3 },
      },
    });
    const body = await res.json();
    expect(body.runs.map((r: { id: string }) => r.id)).toEqual(runIds);
    expect(body.runs.every((r: { reused: boolean }) => r.reused)).toBe(true);
    expect(await app.db.prisma.score.count({ where: { runId: { in: runIds } } })).toBe(14);
  });

  it('rejects bad requests naming the field, writing no run', async () => {
    const before = await app.db.prisma.run.count();
    const bad = async (json: object, field: string) => {
      const r = await app.request('/v1/alignments', { method: 'POST', auth: true, json });
      expect(r.status).toBe(400);
      const b = await r.json();
      expect(b.errors.map((e: { field: string }) => e.field)).toContain(field);
    };
    const base = { datasetId: set.datasetId, subject: 'subj01', atlas: 'prf-visualrois', layerIds: set.layerIds };
    await bad({ ...base, subject: 'subj09' }, 'body.subject');
    await bad({ ...base, atlas: 'nope' }, 'body.atlas');
    await bad({ ...base, rois: ['V1v', 'V9'] }, 'body.rois[1]');
    await bad({ ...base, layerIds: ['00000000-0000-4000-8000-000000000000'] }, 'body.layerIds[0]');
    await bad({ ...base, preset: 'ols' }, 'body.preset');
    await bad({ ...base, folds: { k: 1 } }, 'body.folds.k');
    await bad({ ...base, representation: 'sae' }, 'body.layerIds[0]');
    await bad({ ...base, folds: { assignment: { '1': 0, '2': 0, '3': 2, '4': 2 } } }, 'body.folds.assignment');
    expect(await app.db.prisma.run.count()).toBe(before);
  });

  it('refuses noise-ceiling normalisation where the ceiling does not describe the scores (400 naming preset and why)', async () => {
    const before = await app.db.prisma.run.count();
    const base = { datasetId: set.datasetId, subject: 'subj01', atlas: 'prf-visualrois', layerIds: set.layerIds };
    const reason = async (json: object) => {
      const r = await app.request('/v1/alignments', { method: 'POST', auth: true, json });
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const e = (await r.json()).errors.find((x: { field: string }) => x.field === 'body.noiseCeiling');
      expect(e).toBeDefined();
      return e.reason as string;
    };
    for (const preset of ['paper-centred', 'paper']) {
      const why = await reason({ ...base, preset, score: 'pearson', noiseCeiling: { minPercent: 5 } });
      expect(why).toContain(`preset ${preset}`);
      expect(why).toMatch(/layer-normalises .* across the ROI's voxels/);
      expect(why).toMatch(/ncsnr noise ceiling \(Allen et al\. 2022\)/);
    }
    expect(await reason({ ...base, preset: 'paper-centred', noiseCeiling: {} })).toContain('preset paper-centred');
    expect(await reason({ ...base, preset: 'encoding', metric: 'rsa', noiseCeiling: {} })).toMatch(/metric rsa/);
    expect(await app.db.prisma.run.count()).toBe(before);
  });
});

describe('results', () => {
  it('serves the fold assignment, reusable as an explicit one with the same scores', async () => {
    const folds = await (await app.request(`/v1/runs/${runIds[0]}/folds`)).json();
    expect(folds.k).toBe(5);
    expect(folds.seed).toBe(3);
    const n = Object.keys(folds.assignment).length;
    expect(folds.counts.reduce((a: number, b: number) => a + b, 0)).toBe(n);
    expect(Math.max(...folds.counts) - Math.min(...folds.counts)).toBeLessThanOrEqual(1);

    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        rois: ['V1v', 'hV4'],
        layerIds: [set.layerIds[0]],
        folds: { assignment: folds.assignment },
      },
    });
    const run = (await res.json()).runs[0];
    await waitForJob(app, run.jobId);
    const explicit = await (await app.request(`/v1/runs/${run.id}`)).json();
    const original = await (await app.request(`/v1/runs/${runIds[0]}`)).json();
    for (const roi of ['V1v', 'hV4']) {
      const a = explicit.scores.find((s: { roi: string }) => s.roi === roi);
      const b = original.scores.find((s: { roi: string }) => s.roi === roi);
      expect(a.foldValues).toEqual(b.foldValues);
    }
  }, 120_000);

  it('serves per-voxel results as JSON and as a NIfTI volume in the subject space', async () => {
    const json = await (await app.request(`/v1/runs/${runIds[0]}/voxels`)).json();
    expect(json.volumeShape).toEqual(set.syn.volumeShape);
    expect(json.indices.length).toBe(json.values.length);
    const run = await (await app.request(`/v1/runs/${runIds[0]}`)).json();
    const v1v = run.scores.find((s: { roi: string }) => s.roi === 'V1v');
    const v1vVals = json.values
      .filter((_: unknown, i: number) => json.roi[i] === 'V1v')
      .filter((x: number | null) => x !== null);
    expect(v1vVals.length).toBe(v1v.nVoxels);

    const nii = await app.request(`/v1/runs/${runIds[0]}/voxels?format=nifti`);
    expect(nii.headers.get('content-type')).toBe('application/gzip');
    const bytes = gunzipSync(Buffer.from(await nii.arrayBuffer()));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getInt32(0, true)).toBe(348);
    expect([view.getInt16(42, true), view.getInt16(44, true), view.getInt16(46, true)]).toEqual(set.syn.volumeShape);
    expect(view.getInt16(70, true)).toBe(16); // float32
    const offset = view.getFloat32(108, true);
    const i0 = json.indices[0];
    expect(view.getFloat32(offset + 4 * i0, true)).toBeCloseTo(
      json.values.filter((_: unknown, i: number) => json.indices[i] === i0).pop(),
      6,
    );
  });

  it('filters scores and builds the layer x ROI matrix from the same numbers', async () => {
    const page = await (await app.request(`/v1/scores?layerId=${set.layerIds[1]}&preset=paper&sort=value`)).json();
    expect(page.items.length).toBeGreaterThan(0);
    const values = page.items.map((s: { value: number }) => s.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(page.items.every((s: { layerName: string }) => s.layerName === 'layer2')).toBe(true);
    expect(page.items.every((s: { baseline: number | null }) => Number.isFinite(s.baseline))).toBe(true);

    const m = await (
      await app.request(`/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois`)
    ).json();
    expect(m.layers.map((l: { name: string }) => l.name)).toEqual(['layer1', 'layer2']);
    expect(m.rois).toEqual(['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4']);
    for (const [li, runId] of runIds.entries()) {
      const run = await (await app.request(`/v1/runs/${runId}`)).json();
      // newest score per cell: the explicit-folds rerun replaced layer1's V1v and hV4
      const newest = await app.db.prisma.score.findMany({
        where: { layerId: set.layerIds[li], method: 'paper' },
        orderBy: { createdAt: 'desc' },
      });
      m.rois.forEach((roi: string, ri: number) => {
        const stored = newest.find((s) => s.target === roi) ?? run.scores.find((s: { roi: string }) => s.roi === roi);
        expect(m.values[li][ri]).toBe(stored.value);
        expect(m.baseline[li][ri]).toBe(stored.baseline);
      });
    }
    const diff = await (
      await app.request(
        `/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois&representation=difference`,
      )
    ).json();
    expect(diff.values.flat().every((v: number | null) => v === null)).toBe(true);
  });
});

describe('noise ceiling default', () => {
  it(`normalises the presets it describes with minPercent ${DEFAULT_MIN_NOISE_CEILING} unless told otherwise`, async () => {
    const post = async (extra: object) => {
      const r = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: set.datasetId,
          subject: 'subj01',
          atlas: 'prf-visualrois',
          rois: ['V1v', 'hV4'],
          layerIds: [set.layerIds[0]],
          preset: 'encoding',
          folds: { k: 3, seed: 1 },
          ...extra,
        },
      });
      expect(r.status).toBe(202);
      const run = (await r.json()).runs[0];
      await waitForJob(app, run.jobId);
      return (await (await app.request(`/v1/runs/${run.id}`)).json()) as {
        id: string;
        inputs: { noiseCeiling?: { minPercent: number } };
        scores: { roi: string; normalised: number | null; keptShare: number | null; noiseCeiling: number | null }[];
      };
    };
    const byDefault = await post({});
    expect(byDefault.inputs.noiseCeiling).toEqual({ minPercent: DEFAULT_MIN_NOISE_CEILING });
    // Asking for it, with or without the default threshold, is the same request.
    expect((await post({ noiseCeiling: {} })).id).toBe(byDefault.id);
    expect((await post({ noiseCeiling: { minPercent: DEFAULT_MIN_NOISE_CEILING } })).id).toBe(byDefault.id);
    const all = await post({ noiseCeiling: { minPercent: 0 } });
    expect(all.id).not.toBe(byDefault.id);
    expect(all.inputs.noiseCeiling).toEqual({ minPercent: 0 });
    for (const s of byDefault.scores) {
      const t = all.scores.find((x) => x.roi === s.roi)!;
      expect(s.normalised).not.toBeNull();
      expect(s.keptShare).toBeGreaterThan(0);
      // The threshold keeps no more voxels than "every NC > 0".
      expect(s.keptShare!).toBeLessThanOrEqual(t.keptShare!);
    }
  }, 180_000);
});
