/**
 * Stimuli first-class (issue 23 item 1): a subject's nsdIds with shared-1000 flags and presentation counts, the
 * images as PNG, the minStimuli floor at POST, and nStimuli on every result row and CSV line.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { openNsdDataset } from '../../src/nsd/dataset';
import { readStimulusImages } from '../../src/nsd/stimulus-images';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForStudy, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
type Stim = { nsdId: number; shared1000: boolean; presentations: number };
let all: Stim[];

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-stim', {
    images: 200,
    sharedImages: 40,
    sessions: 1,
    trialsPerSession: 300,
    imageSize: 24,
    layers: [{ name: 'l1', units: 8 }],
  });
  const res = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli?limit=1000`);
  expect(res.status).toBe(200);
  all = (await res.json()).items;
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** RGB pixels of a PNG this service writes (8-bit RGB, filter 0 on every row). */
function decodePng(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 2]);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 3 + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1)), y * width * 3);
  }
  return { width, height, pixels };
}

describe('GET /v1/datasets/{id}/subjects/{subject}/stimuli', () => {
  it("lists the subject's images once each, ascending, with shared flags and presentation counts", async () => {
    const ds = await (await app.request(`/v1/datasets/${set.datasetId}`)).json();
    expect(all).toHaveLength(200);
    expect(all.length).toBe(ds.subjects[0].images);
    expect(all.map((s) => s.nsdId)).toEqual([...all.map((s) => s.nsdId)].sort((a, b) => a - b));
    expect(all.reduce((t, s) => t + s.presentations, 0)).toBe(ds.subjects[0].trials);
    expect(all.filter((s) => s.shared1000)).toHaveLength(40);
    // the layer's ids are the nsdIds the subject saw (plus the other images of the pool)
    const page = await (
      await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli?limit=7&offset=5`)
    ).json();
    expect(page).toMatchObject({ total: 200, limit: 7, offset: 5 });
    expect(page.items).toEqual(all.slice(5, 12));
    const shared = await (
      await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli?shared1000=true&limit=1000`)
    ).json();
    expect(shared.items).toEqual(all.filter((s) => s.shared1000));
  });

  it('names what is missing or malformed', async () => {
    const unknown = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj07/stimuli`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).detail).toContain('subj07');
    const noDataset = await app.request('/v1/datasets/3f1c2a9e-7b7d-4c1e-9a52-1d2f7f0c9b11/subjects/subj01/stimuli');
    expect(noDataset.status).toBe(404);
    const bad = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli?limit=0`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('query.limit');
  });
});

describe('GET /v1/datasets/{id}/subjects/{subject}/stimuli/{nsdId}', () => {
  it('serves the image as PNG, pixel for pixel the brick row, with an ETag', async () => {
    const id = all[3].nsdId;
    const res = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = decodePng(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([24, 24]);
    const ds = openNsdDataset(set.syn.manifest, set.syn.root, [app.dataDir]);
    const brick = await readStimulusImages(ds, [id]);
    expect(Buffer.from(png.pixels).equals(Buffer.from(brick.data))).toBe(true);
    expect(brick.data.some((v) => v !== brick.data[0])).toBe(true);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli/${id}`, {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('404 for an image the subject did not see or an unknown subject; 400 for a bad id', async () => {
    const seen = new Set(all.map((s) => s.nsdId));
    const unseen = Array.from({ length: 73000 }, (_, i) => i).find((i) => !seen.has(i))!;
    const notSeen = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli/${unseen}`);
    expect(notSeen.status).toBe(404);
    expect((await notSeen.json()).detail).toContain(`nsdId ${unseen}`);
    const noSubject = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj05/stimuli/${all[0].nsdId}`);
    expect(noSubject.status).toBe(404);
    for (const bad of ['abc', '-1', '73000', '1.5']) {
      const res = await app.request(`/v1/datasets/${set.datasetId}/subjects/subj01/stimuli/${bad}`);
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].field).toBe('params.nsdId');
    }
  });
});

describe('the minStimuli floor and nStimuli', () => {
  async function smallLayer(name: string, ids: number[]): Promise<string> {
    const dir = path.join(app.dataDir, name);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const acts = Float32Array.from({ length: ids.length * 4 }, (_, i) => Math.sin(i * 1.7) + 1);
    writeFileSync(path.join(dir, 'acts.npy'), writeNpy(acts, [ids.length, 4]));
    writeFileSync(path.join(dir, 'ids.npy'), writeNpy(Int32Array.from(ids), [ids.length]));
    const res = await app.request(`/v1/models/${set.modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name, activations: { path: `${name}/acts.npy` }, stimulusIds: { path: `${name}/ids.npy` } },
    });
    expect(res.status).toBe(201);
    return (await res.json()).id;
  }

  it('refuses a run or study below the floor, naming both counts', async () => {
    // a layer of 30 of the subject's images
    const few = await smallLayer(
      'few',
      all.slice(0, 30).map((s) => s.nsdId),
    );
    const body = {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      layerIds: [set.layerIds[0], few],
    };
    const res = await app.request('/v1/alignments', { method: 'POST', auth: true, json: body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await res.json();
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0].field).toBe('body.layerIds[1]');
    expect(problem.errors[0].reason).toContain('shares 30 stimuli with subj01');
    expect(problem.errors[0].reason).toContain('the layer has 30 ids, subj01 saw 200 images');
    expect(problem.errors[0].reason).toContain('minStimuli is 50');
    const study = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: ['subj01'],
        layerIds: [few],
        rois: ['V1v'],
        representations: ['neurons'],
      },
    });
    expect(study.status).toBe(400);
    expect((await study.json()).errors[0]).toMatchObject({ field: 'body.layerIds[0]' });
    // a lower floor admits it
    const lowered = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: { ...body, layerIds: [few], minStimuli: 20, folds: { k: 3, seed: 0 } },
    });
    expect(lowered.status).toBe(202);
    const bad = await app.request('/v1/alignments', { method: 'POST', auth: true, json: { ...body, minStimuli: 0 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('body.minStimuli');
  });

  it('every result row, run score and CSV line carries nStimuli', async () => {
    const created = await (
      await app.request('/v1/studies', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: set.datasetId,
          subjects: ['subj01'],
          layerIds: [set.layerIds[0]],
          rois: ['V1v', 'nsdgeneral'],
          representations: ['neurons'],
          statistics: { resamples: 10, permutations: 10 },
        },
      })
    ).json();
    const done = await waitForStudy(app, created.id);
    expect(done.state).toBe('succeeded');
    expect(done.results).toHaveLength(2);
    // the layer holds the whole pool; the subject saw 200 of its images
    for (const r of done.results) expect(r.nStimuli).toBe(200);
    const run = await (await app.request(`/v1/runs/${done.results[0].runId}`)).json();
    for (const s of run.scores) expect(s.nStimuli).toBe(200);
    const scores = await (await app.request(`/v1/scores?layerId=${set.layerIds[0]}`)).json();
    expect(scores.items.length).toBeGreaterThan(0);
    for (const s of scores.items) expect(s.nStimuli).toBe(200);
    const csv = (await (await app.request(`/v1/studies/${created.id}`, { headers: { Accept: 'text/csv' } })).text())
      .trim()
      .split('\r\n');
    const header = csv[0].split(',');
    const col = header.indexOf('nStimuli');
    expect(col).toBeGreaterThan(0);
    for (const line of csv.slice(1)) expect(line.split(',')[col]).toBe('200');
  }, 300_000);

  it("serves one ROI's voxel map where ROIs overlap (nsdgeneral holds V1v): each with its own fit", async () => {
    const runId = (await (await app.request(`/v1/scores?layerId=${set.layerIds[0]}&roi=V1v`)).json()).items[0].runId;
    type Vox = { indices: number[]; values: (number | null)[]; roi: string[]; rois: string[] };
    const voxels = async (q: string): Promise<Vox> => {
      const res = await app.request(`/v1/runs/${runId}/voxels?format=json${q}`);
      expect(res.status).toBe(200);
      return res.json();
    };
    const [all, v1, general] = [await voxels(''), await voxels('&roi=V1v'), await voxels('&roi=nsdgeneral')];
    expect(all.rois).toEqual(['V1v', 'nsdgeneral']);
    expect(v1.roi.every((r) => r === 'V1v')).toBe(true);
    expect(v1.indices.length).toBe(all.roi.filter((r) => r === 'V1v').length);
    expect(general.indices.length).toBe(all.roi.filter((r) => r === 'nsdgeneral').length);
    // every V1v voxel is in nsdgeneral; its V1v value is V1v's fit, not nsdgeneral's
    const generalValue = new Map(general.indices.map((idx, i) => [idx, general.values[i]]));
    for (const idx of v1.indices) expect(generalValue.has(idx)).toBe(true);
    const differing = v1.indices.filter((idx, i) => v1.values[i] !== generalValue.get(idx));
    expect(differing.length).toBeGreaterThan(0);
    const all1 = all.indices.flatMap((idx, i) => (all.roi[i] === 'V1v' ? [[idx, all.values[i]]] : []));
    expect(all1).toEqual(v1.indices.map((idx, i) => [idx, v1.values[i]]));
    const bad = await app.request(`/v1/runs/${runId}/voxels?format=json&roi=FFA`);
    expect(bad.status).toBe(400);
    const problem = await bad.json();
    expect(problem.errors[0].field).toBe('query.roi');
    expect(problem.errors[0].reason).toContain('V1v, nsdgeneral');
  });
});
