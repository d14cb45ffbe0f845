/**
 * Registering datasets and layers over HTTP against real files: the fixture NSD tree written by
 * h5py + nibabel (test/fixtures/nsd/gen_fixtures.py, voxel counts computed by numpy), corrupted copies
 * of it, and .npy activation files. Bad input gets a 4xx naming the field and leaves no rows.
 */
import { cp, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { encodeNifti1 } from '../../src/io/nifti-encode';
import { startTestApp, type TestApp } from '../helpers/app';
import { gzipSync } from 'node:zlib';

const FIXTURE = 'test/fixtures/nsd';
const expected = JSON.parse(await readFile(`${FIXTURE}/expected.json`, 'utf8'));
const manifest = JSON.parse(await readFile(`${FIXTURE}/manifest.json`, 'utf8'));

let app: TestApp;
let tree: string;

async function copyTree(name: string): Promise<string> {
  const dir = path.join(app.dataDir, name);
  await cp(`${FIXTURE}/tree`, dir, { recursive: true });
  return dir;
}

async function counts() {
  const p = app.db.prisma;
  return {
    datasets: await p.dataset.count(),
    subjects: await p.subject.count(),
    atlases: await p.atlas.count(),
    rois: await p.roi.count(),
    layers: await p.layer.count(),
  };
}

beforeAll(async () => {
  app = await startTestApp();
  tree = await copyTree('nsd-fixture');
});
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/datasets', () => {
  it('registers the fixture tree and reports ROI voxel counts equal to numpy', async () => {
    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'fixture', root: tree, manifest },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.subjects.map((s: { label: string }) => s.label)).toEqual(['subj01']);
    const s = body.subjects[0];
    expect(s.sessions.length).toBeGreaterThan(0);
    for (const atlas of ['prf-visualrois', 'nsdgeneral']) {
      for (const hemi of ['both', 'lh', 'rh']) {
        const got: Record<string, number> = {};
        for (const r of s.rois.filter(
          (r: { atlas: string; hemisphere: string }) => r.atlas === atlas && r.hemisphere === hemi,
        ))
          got[String(r.label)] = r.voxelCount;
        expect(got).toEqual(expected[atlas][hemi]);
      }
    }
    expect(body.atlases.find((a: { name: string }) => a.name === 'prf-visualrois').labels['1']).toBe('V1v');
    const again = await (await app.request(`/v1/datasets/${body.id}`)).json();
    expect(again).toEqual(body);
  });

  it('refuses a truncated HDF5 session, naming the betas field, and writes nothing', async () => {
    const before = await counts();
    const bad = await copyTree('truncated');
    const h5 = path.join(bad, 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR/betas_session01.hdf5');
    const size = (await readFile(h5)).length;
    await truncate(h5, Math.floor(size / 2));
    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'truncated', root: bad, manifest },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.type).toBe('/problems/invalid-data');
    expect(body.errors[0].field).toBe('manifest.betas.hdf5');
    expect(await counts()).toEqual(before);
  });

  it('refuses an ROI volume of the wrong shape, naming the atlas field', async () => {
    const before = await counts();
    const bad = await copyTree('wrong-roi');
    await writeFile(
      path.join(bad, 'nsddata/ppdata/subj01/func1pt8mm/roi/prf-visualrois.nii.gz'),
      gzipSync(encodeNifti1(new Int16Array(3 * 4 * 5), [3, 4, 5])),
    );
    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'wrong-roi', root: bad, manifest },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].field).toBe('manifest.atlases[0].file');
    expect(body.errors[0].reason).toMatch(/3x4x5|shape|differs/);
    expect(await counts()).toEqual(before);
  });

  it('refuses a root outside the data roots', async () => {
    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'escape', root: '/etc', manifest },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.type).toBe('/problems/path-outside-roots');
    expect(body.errors[0].field).toBe('root');
    const dots = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'escape2', root: path.join(app.dataDir, '../../..'), manifest },
    });
    expect(dots.status).toBe(400);
    expect((await dots.json()).type).toBe('/problems/path-outside-roots');
  });

  it('validates the request body and the manifest, naming fields', async () => {
    const noManifest = await (
      await app.request('/v1/datasets', { method: 'POST', auth: true, json: { name: 'x', root: tree } })
    ).json();
    expect(noManifest.errors[0].field).toBe('body.manifest');
    const badManifest = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'x', root: tree, manifest: { ...manifest, space: 'func3mm' } },
    });
    expect(badManifest.status).toBe(400);
    expect((await badManifest.json()).errors[0].field).toBe('body.manifest.space');
  });
});

describe('POST /v1/models/{id}/layers', () => {
  let modelId: string;
  const ids = Int32Array.from([5, 17, 3, 72999, 40]);
  const acts = Float32Array.from({ length: 5 * 3 }, (_, i) => Math.sin(i));

  beforeAll(async () => {
    const m = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'net' } });
    modelId = (await m.json()).id;
    await mkdir(path.join(app.dataDir, 'acts'), { recursive: true });
    await writeFile(path.join(app.dataDir, 'acts/l1.npy'), writeNpy(acts, [5, 3]));
    await writeFile(path.join(app.dataDir, 'acts/ids.npy'), writeNpy(ids, [5]));
    await writeFile(path.join(app.dataDir, 'acts/ids-bad.npy'), writeNpy(Int32Array.from([5, 17, 3, 73000, 40]), [5]));
    await writeFile(path.join(app.dataDir, 'acts/ids-short.npy'), writeNpy(Int32Array.from([5, 17]), [2]));
  });

  it('registers a layer by path with its width and count', async () => {
    const res = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: {
        name: 'l1',
        activations: { path: path.join(app.dataDir, 'acts/l1.npy') },
        stimulusIds: { path: 'acts/ids.npy' },
      },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ name: 'l1', width: 3, count: 5, position: 0 });
    expect(body.checksum).toMatch(/^[0-9a-f]{64}$/);
    const model = await (await app.request(`/v1/models/${modelId}`)).json();
    expect(model.layers.map((l: { name: string }) => l.name)).toEqual(['l1']);
  });

  it('registers a layer by multipart upload', async () => {
    const form = new FormData();
    form.set('name', 'uploaded');
    form.set('activations', new Blob([writeNpy(acts, [5, 3])]), 'a.npy');
    form.set('stimulusIds', new Blob([JSON.stringify(Array.from(ids))]), 'ids.json');
    const res = await app.request(`/v1/models/${modelId}/layers`, { method: 'POST', auth: true, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'uploaded', width: 3, count: 5, position: 1 });
  });

  it('refuses unknown nsdIds, mismatched counts and paths outside the roots, writing nothing', async () => {
    const before = await counts();
    const unknown = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'bad', activations: { path: 'acts/l1.npy' }, stimulusIds: { path: 'acts/ids-bad.npy' } },
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).errors[0]).toMatchObject({ field: 'body.stimulusIds[3]' });
    const short = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'bad', activations: { path: 'acts/l1.npy' }, stimulusIds: { path: 'acts/ids-short.npy' } },
    });
    expect((await short.json()).errors[0].field).toBe('body.stimulusIds');
    const outside = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'bad', activations: { path: '/etc/passwd' }, stimulusIds: { path: 'acts/ids.npy' } },
    });
    expect(outside.status).toBe(400);
    expect(await outside.json()).toMatchObject({
      type: '/problems/path-outside-roots',
      errors: [{ field: 'body.activations.path' }],
    });
    const missing = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'bad', activations: {} },
    });
    expect((await missing.json()).errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.activations.path', 'body.stimulusIds']),
    );
    expect(await counts()).toEqual(before);
  });
});
