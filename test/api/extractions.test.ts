/**
 * Networks and extraction over HTTP, end to end: a synthetic dataset with a stimulus image brick
 * (nsd_stimuli.hdf5, imgBrick), the committed small ViT (test/fixtures/networks) uploaded as the model's network,
 * an extraction job over one subject's images, and the layers it registers: their nsdIds are the subject's images
 * and their activations are what the extraction core gives for the same images (which is checked against torch in
 * test/unit/extract-networks.test.ts). Bad requests are 400s naming the field; identical requests share one job.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractActivations } from '../../src/extract/run';
import { writeH5DatasetInSlabs } from '../../src/io/hdf5-write';
import { readNpy } from '../../src/io/npy';
import { readStimulusTable, subjectTrialImages } from '../../src/nsd/stimuli';
import { NSD_STIMULI_FILE } from '../../src/nsd/manifest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, type RegisteredSet, waitForJob } from '../helpers/flow';
import { NETWORK_FIXTURES } from '../helpers/network-fixtures';

const SIDE = 8;
const VIT = JSON.parse(await readFile(path.join(NETWORK_FIXTURES, 'vit.json'), 'utf8'));
const PRE = { ...VIT.preprocessing };
const [BLOCK0, BLOCK1] = [VIT.layers[0].tensor, VIT.layers[1].tensor];

/** Image `id`: a deterministic pattern of its id (8 x 8 RGB). */
function pixel(id: number, k: number): number {
  return ((Math.imul(id + 1, 2654435761) >>> (k % 24)) & 0xff) ^ ((k * 37) & 0xff);
}

async function writeBrick(root: string): Promise<void> {
  const file = path.join(root, NSD_STIMULI_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  const one = SIDE * SIDE * 3;
  await writeH5DatasetInSlabs(file, {
    name: 'imgBrick',
    shape: [73_000, SIDE, SIDE, 3],
    dtype: '<B',
    chunks: [256, SIDE, SIDE, 3],
    axis: 0,
    step: 8192,
    slab: (from, to) =>
      Uint8Array.from({ length: (to - from) * one }, (_, i) => pixel(from + Math.floor(i / one), i % one)),
  });
}

let app: TestApp;
let set: RegisteredSet;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-extract', {
    images: 40,
    sharedImages: 10,
    sessions: 1,
    trialsPerSession: 60,
  });
  await writeBrick(set.syn.root);
}, 180_000);
afterAll(async () => {
  await app?.close();
});

const extract = (json: unknown, modelId = set.modelId) =>
  app.request(`/v1/models/${modelId}/extractions`, { method: 'POST', auth: true, json });

const layers = [
  { tensor: BLOCK0, name: 'vit-block0', pooling: 'mean' },
  { tensor: BLOCK1, name: 'vit-block1', pooling: 'centre' },
];

describe('networks', () => {
  it('refuses an extraction before the model has a network (409 naming the model)', async () => {
    const res = await extract({ datasetId: set.datasetId, subjects: ['subj01'], layers, preprocessing: PRE });
    expect(res.status).toBe(409);
    expect((await res.json()).errors[0].field).toBe('params.id');
  });

  it('takes an uploaded ONNX network and lists its tensors', async () => {
    const form = new FormData();
    form.append('network', new Blob([await readFile(path.join(NETWORK_FIXTURES, 'vit.onnx'))]), 'vit.onnx');
    const res = await app.request(`/v1/models/${set.modelId}/network`, { method: 'PUT', auth: true, body: form });
    expect(res.status).toBe(200);
    const net = await res.json();
    expect(net.key).toMatch(/^sha256:[0-9a-f]{64}\.onnx$/);
    expect(net.inputs).toEqual([{ name: 'input', dims: ['batch', 3, 32, 32] }]);
    expect(net.tensors).toContain(BLOCK0);
    expect((await (await app.request(`/v1/models/${set.modelId}/network`)).json()).key).toBe(net.key);
    const model = await (await app.request(`/v1/models/${set.modelId}`)).json();
    expect(model.network).toEqual({ key: net.key, name: 'vit.onnx' });
  });

  it('refuses a file that is not ONNX, naming the field', async () => {
    await copyFile(path.join(NETWORK_FIXTURES, 'vit.json'), path.join(app.dataDir, 'not-onnx.onnx'));
    const res = await app.request(`/v1/models/${set.modelId}/network`, {
      method: 'PUT',
      auth: true,
      json: { path: 'not-onnx.onnx' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].field).toBe('body.path');
  });
});

describe('POST /v1/models/{id}/extractions', () => {
  it('answers bad requests with 400s naming the field', async () => {
    const cases: [unknown, string, string?][] = [
      [{ datasetId: set.datasetId, layers, preprocessing: PRE }, 'body.subjects'],
      [{ datasetId: set.datasetId, subjects: ['subj01'], nsdIds: [1], layers, preprocessing: PRE }, 'body.subjects'],
      [
        { datasetId: set.datasetId, subjects: ['subj01'], layers: [{ tensor: 'nope', name: 'x' }], preprocessing: PRE },
        'body.layers[0].tensor',
        BLOCK0,
      ],
      [
        {
          datasetId: set.datasetId,
          subjects: ['subj01'],
          layers: [{ ...layers[0], pooling: 'median' }],
          preprocessing: PRE,
        },
        'body.layers[0].pooling',
      ],
      [
        {
          datasetId: set.datasetId,
          subjects: ['subj01'],
          layers: [layers[0], { ...layers[1], name: 'vit-block0' }],
          preprocessing: PRE,
        },
        'body.layers[1].name',
      ],
      [{ datasetId: set.datasetId, subjects: ['subj01'], layers }, 'body.preprocessing'],
      [
        { datasetId: set.datasetId, subjects: ['subj01'], layers, preprocessing: { ...PRE, crop: 40 } },
        'body.preprocessing.crop',
      ],
      [{ datasetId: set.datasetId, nsdIds: [73_000], layers, preprocessing: PRE }, 'body.nsdIds[0]'],
    ];
    for (const [body, field, mention] of cases) {
      const res = await extract(body);
      const problem = await res.json();
      expect(res.status, JSON.stringify(problem)).toBe(400);
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
      if (mention) expect(JSON.stringify(problem)).toContain(mention);
    }
  });

  it("runs the network over a subject's images and registers each tapped tensor as a layer", async () => {
    const body = { datasetId: set.datasetId, subjects: ['subj01'], layers, preprocessing: PRE, batchSize: 7 };
    const res = await extract(body);
    expect(res.status).toBe(202);
    const ex = await res.json();
    expect(ex).toMatchObject({ status: 'queued', stimulusCount: 40, subjects: ['subj01'] });
    const again = await (await extract(body)).json();
    expect(again.id).toBe(ex.id);
    expect((await waitForJob(app, ex.jobId)).state).toBe('completed');
    const done = await (await app.request(`/v1/extractions/${ex.id}`)).json();
    expect(done.status).toBe('completed');
    expect(done.layerIds).toHaveLength(2);
    // The subject's images: every nsdId of its trials in the stimulus table, ascending.
    const table = readStimulusTable(path.join(set.syn.root, 'nsddata/experiments/nsd/nsd_stim_info_merged.csv'));
    const expectedIds = [...new Set(subjectTrialImages(table, 1))].filter((id) => id >= 0).sort((a, b) => a - b);
    expect(expectedIds).toHaveLength(40);
    const files: string[] = [];
    for (const [i, id] of done.layerIds.entries()) {
      const layer = await (await app.request(`/v1/layers/${id}`)).json();
      expect(layer).toMatchObject({ name: layers[i].name, count: 40, width: 32, modelId: set.modelId });
      const store = path.join(app.serviceDir, 'store');
      const fileOf = (key: string) => path.join(store, 'sha256', key.slice(7, 9), key.slice(7));
      expect(Array.from(readNpy(await readFile(fileOf(layer.stimulusIds.path))).data as Int32Array)).toEqual(
        expectedIds.length === 40 ? expectedIds : expect.anything(),
      );
      files.push(fileOf(layer.activations.path));
    }
    // The same images through the extraction core directly.
    const out = [path.join(os.tmpdir(), `ex-${ex.id}-0.npy`), path.join(os.tmpdir(), `ex-${ex.id}-1.npy`)];
    const one = SIDE * SIDE * 3;
    await extractActivations({
      model: new Uint8Array(await readFile(path.join(NETWORK_FIXTURES, 'vit.onnx'))),
      taps: layers.map((l) => ({ tensor: l.tensor, pooling: l.pooling as 'mean' })),
      preprocessing: PRE,
      nsdIds: expectedIds,
      images: async (ids) => ({
        data: Uint8Array.from({ length: ids.length * one }, (_, i) => pixel(ids[Math.floor(i / one)], i % one)),
        height: SIDE,
        width: SIDE,
      }),
      outFiles: out,
    });
    for (let i = 0; i < 2; i++) {
      const got = readNpy(await readFile(files[i]));
      const want = readNpy(await readFile(out[i]));
      expect(got.shape).toEqual([40, 32]);
      expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    }
    const list = await (await app.request(`/v1/models/${set.modelId}/extractions`)).json();
    expect(list.items.map((e: { id: string }) => e.id)).toContain(ex.id);
  }, 180_000);
});
