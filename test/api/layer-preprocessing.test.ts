/**
 * Layer preprocessing {clamp: "relu"} (issue 12 item 6; the authors clamp CNN activations at 0 before every metric and
 * before SAE training): a layer registered with it gives exactly what the same layer gives when its activations were
 * clamped by numpy before registration (test/fixtures/alignment/layer_relu.npy, gen_history.py), in alignment runs,
 * SAE training and encoding, studies and comparisons; it is stored with the layer and reported with every run.
 */
import { copyFile, cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { startTestApp, type TestApp } from '../helpers/app';
import { waitForJob, waitForStudy } from '../helpers/flow';

const FIX = 'test/fixtures/alignment';
const ROIS = ['V1v', 'V2v', 'hV4'];
const RELU = { clamp: 'relu' };

let app: TestApp;
let datasetId: string;
let modelId: string;
const layer: Record<'clamped' | 'preClamped' | 'raw', string> = { clamped: '', preClamped: '', raw: '' };

async function register(name: string, file: string, extra: object = {}) {
  return app.request(`/v1/models/${modelId}/layers`, {
    method: 'POST',
    auth: true,
    json: { name, activations: { path: file }, stimulusIds: { path: 'layer_ids.npy' }, ...extra },
  });
}

beforeAll(async () => {
  app = await startTestApp();
  await cp('test/fixtures/nsd/tree', path.join(app.dataDir, 'tree'), { recursive: true });
  for (const f of ['layer.npy', 'layer_relu.npy', 'layer_ids.npy'])
    await copyFile(`${FIX}/${f}`, path.join(app.dataDir, f));
  const manifest = JSON.parse(await readFile('test/fixtures/nsd/manifest.json', 'utf8'));
  datasetId = (
    await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'fixture', root: path.join(app.dataDir, 'tree'), manifest },
      })
    ).json()
  ).id;
  modelId = (await (await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'cnn' } })).json()).id;
  const clamped = await register('clamped', 'layer.npy', { preprocessing: RELU });
  expect(clamped.status).toBe(201);
  layer.clamped = (await clamped.json()).id;
  layer.preClamped = (await (await register('pre-clamped', 'layer_relu.npy')).json()).id;
  layer.raw = (await (await register('raw', 'layer.npy')).json()).id;
}, 120_000);
afterAll(async () => {
  await app?.close();
});

type Run = {
  inputs: Record<string, unknown>;
  scores: { roi: string; value: number; foldValues: number[]; alphas: number[]; nVoxels: number }[];
};

async function alignAll(layerIds: string[], representation: unknown = 'neurons'): Promise<Run[]> {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: {
      datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      rois: ROIS,
      layerIds,
      representation,
      preset: 'paper-centred',
    },
  });
  expect(res.status).toBe(202);
  const runs: Run[] = [];
  for (const r of (await res.json()).runs) {
    expect((await waitForJob(app, r.jobId)).state).toBe('completed');
    runs.push(await (await app.request(`/v1/runs/${r.id}`)).json());
  }
  return runs;
}

const numbers = (run: Run) =>
  run.scores.map((s) => ({
    roi: s.roi,
    value: s.value,
    foldValues: s.foldValues,
    alphas: s.alphas,
    nVoxels: s.nVoxels,
  }));

describe('layer preprocessing {clamp: "relu"}', () => {
  it('is stored with the layer and validated', async () => {
    expect((await (await app.request(`/v1/layers/${layer.clamped}`)).json()).preprocessing).toEqual(RELU);
    expect((await (await app.request(`/v1/layers/${layer.raw}`)).json()).preprocessing).toBeNull();
    const bad = await register('bad', 'layer.npy', { preprocessing: { clamp: 'abs' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('body.preprocessing.clamp');
    const form = (pre: string) => {
      const f = new FormData();
      f.set('name', `upload-${pre.length}`);
      f.set('activations', new Blob([writeNpy(Float32Array.from([-1, 2, 3, -4]), [2, 2])]), 'a.npy');
      f.set('stimulusIds', new Blob([JSON.stringify([5, 9])]), 'ids.json');
      f.set('preprocessing', pre);
      return f;
    };
    const up = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      body: form('{"clamp": "relu"}'),
    });
    expect(up.status).toBe(201);
    expect((await up.json()).preprocessing).toEqual(RELU);
    const junk = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      body: form('{clamp'),
    });
    expect(junk.status).toBe(400);
    expect((await junk.json()).errors[0].field).toBe('body.preprocessing');
  });

  it('alignment runs: a clamped layer equals the layer clamped before registration, and says so', async () => {
    const [clamped, pre, raw] = await alignAll([layer.clamped, layer.preClamped, layer.raw]);
    expect(numbers(clamped)).toEqual(numbers(pre));
    expect(numbers(raw)).not.toEqual(numbers(pre));
    expect(clamped.inputs.preprocessing).toEqual(RELU);
    expect(pre.inputs.preprocessing).toBeUndefined();
  }, 180_000);

  it('SAE training and encoding see the clamped activations', async () => {
    const settings = { k: 4, expansion: 2, epochs: 3, batchSize: 64, seed: 1 };
    const saes = [];
    for (const id of [layer.clamped, layer.preClamped]) {
      const sae = await (
        await app.request(`/v1/layers/${id}/saes`, { method: 'POST', auth: true, json: settings })
      ).json();
      expect((await waitForJob(app, sae.jobId)).state).toBe('completed');
      saes.push(await (await app.request(`/v1/saes/${sae.id}`)).json());
    }
    expect(saes[0].metrics).toEqual(saes[1].metrics);
    const [a] = await alignAll([layer.clamped], { saeId: saes[0].id });
    const [b] = await alignAll([layer.preClamped], { saeId: saes[1].id });
    expect(numbers(a)).toEqual(numbers(b));
    expect(a.inputs.preprocessing).toEqual(RELU);
  }, 240_000);

  it('studies report it per row; comparisons per side and see the clamped activations', async () => {
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subjects: ['subj01'],
        layerIds: [layer.clamped, layer.raw],
        representations: ['neurons'],
        rois: ['prf-visualrois/V1v'],
      },
    });
    expect(res.status).toBe(202);
    const id = (await res.json()).id;
    const study = await waitForStudy(app, id, 120_000);
    expect(study.state).toBe('succeeded');
    expect(study.inputs.layerPreprocessing).toEqual({ [layer.clamped]: RELU });
    const byLayer = Object.fromEntries(
      study.results.map((r: { layerId: string; preprocessing: unknown }) => [r.layerId, r.preprocessing]),
    );
    expect(byLayer).toEqual({ [layer.clamped]: RELU, [layer.raw]: null });

    const compare = async (source: string, target: string) => {
      const r = await (
        await app.request('/v1/comparisons', {
          method: 'POST',
          auth: true,
          json: { source: { layerId: source }, target: { layerId: target }, metric: 'cka' },
        })
      ).json();
      expect((await waitForJob(app, r.jobId)).state).toBe('completed');
      return (await app.request(`/v1/runs/${r.id}`)).json();
    };
    const same = await compare(layer.clamped, layer.preClamped);
    expect(same.inputs.source.preprocessing).toEqual(RELU);
    expect(same.inputs.target.preprocessing).toBeUndefined();
    expect(same.scores[0].value).toBeCloseTo(1, 6);
    // the raw layer's negatives are small: CKA with the clamped copy is below 1 by about 2e-4
    expect(1 - (await compare(layer.raw, layer.preClamped)).scores[0].value).toBeGreaterThan(1e-5);
  }, 240_000);
});
