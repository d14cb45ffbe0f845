/** GET /v1/datasets/{id}/subjects/{subject}/brainmask: the dashboard's background volume. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNiftiImage } from '../../src/io/nifti';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, type RegisteredSet } from '../helpers/flow';

describe('subject brain mask', () => {
  let app: TestApp;
  let set: RegisteredSet;
  beforeAll(async () => {
    app = await startTestApp({ ALIGN_WORKERS: '0' });
    set = await registerSyntheticSet(app, 'mask');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves the manifest brain mask of the subject as a gzipped NIfTI in the betas space', async () => {
    const res = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/brainmask`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    const file = path.join(app.dataDir, 'served-mask.nii');
    await writeFile(file, gunzipSync(Buffer.from(await res.arrayBuffer())));
    const served = await readNiftiImage(file);
    const original = await readNiftiImage(path.join(set.syn.root, 'nsddata/ppdata/subj01/func1pt8mm/brainmask.nii.gz'));
    expect(served.info.shape).toEqual([...set.syn.volumeShape]);
    expect(Array.from(served.data)).toEqual(Array.from(original.data, (v) => (v > 0 ? 1 : 0)));
    expect(Array.from(served.data).filter((v) => v === 1).length).toBeGreaterThan(0);
  });

  it('names what is missing', async () => {
    const unknownSubject = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj07/brainmask`);
    expect(unknownSubject.status).toBe(404);
    expect((await unknownSubject.json()).detail).toContain('subj07');
    const unknownDataset = await app.request(
      '/v1/datasets/3f1c2a9e-7b7d-4c1e-9a52-1d2f7f0c9b11/subjects/subj01/brainmask',
    );
    expect(unknownDataset.status).toBe(404);
    expect((await unknownDataset.json()).detail).toContain('dataset');
    const bad = await app.request(`/v1/datasets/${set.datasetId}/subjects/one/brainmask`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('params.subject');
  });
});
