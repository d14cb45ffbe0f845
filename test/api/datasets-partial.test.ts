/**
 * Issue 10 item 18: a partial NSD download (some ROI files not synced) registers what exists and lists
 * what is missing, in the POST response and in GET /v1/datasets/{id}. Voxel counts of what is there
 * still equal numpy's (test/fixtures/nsd/expected.json).
 */
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';

const FIXTURE = 'test/fixtures/nsd';
const expected = JSON.parse(await readFile(`${FIXTURE}/expected.json`, 'utf8'));
const manifest = JSON.parse(await readFile(`${FIXTURE}/manifest.json`, 'utf8'));
const ROI = 'nsddata/ppdata/subj01/func1pt8mm/roi';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('a partial NSD download', () => {
  it('registers the atlases whose files exist and lists the missing files', async () => {
    const tree = path.join(app.dataDir, 'partial');
    await cp(`${FIXTURE}/tree`, tree, { recursive: true });
    await rm(path.join(tree, ROI, 'lh.prf-visualrois.nii.gz'));
    await rm(path.join(tree, ROI, 'nsdgeneral.nii.gz'));

    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'partial', root: tree, manifest },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = await res.json();
    expect(body.missing).toEqual([
      {
        kind: 'atlas',
        atlas: 'prf-visualrois',
        subject: 'subj01',
        path: `${ROI}/lh.prf-visualrois.nii.gz`,
        reason: 'file not found',
      },
      {
        kind: 'atlas',
        atlas: 'nsdgeneral',
        subject: 'subj01',
        path: `${ROI}/nsdgeneral.nii.gz`,
        reason: 'file not found',
      },
    ]);
    // prf-visualrois: bilateral and rh counts as numpy's; no lh rows. nsdgeneral: nothing for subj01.
    const rois = body.subjects[0].rois as { atlas: string; label: number; hemisphere: string; voxelCount: number }[];
    for (const hemi of ['both', 'rh']) {
      const got = Object.fromEntries(
        rois
          .filter((r) => r.atlas === 'prf-visualrois' && r.hemisphere === hemi)
          .map((r) => [String(r.label), r.voxelCount]),
      );
      expect(got).toEqual(expected['prf-visualrois'][hemi]);
    }
    expect(rois.filter((r) => r.hemisphere === 'lh' || r.atlas === 'nsdgeneral')).toEqual([]);
    expect(body.atlases.map((a: { name: string }) => a.name)).toEqual(['prf-visualrois']);

    const again = await (await app.request(`/v1/datasets/${body.id}`)).json();
    expect(again).toEqual(body);

    // A complete tree lists nothing missing.
    const full = await await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'full', root: path.join(app.dataDir, 'full'), manifest },
    });
    expect(full.status).toBe(400); // no such folder yet
    await cp(`${FIXTURE}/tree`, path.join(app.dataDir, 'full'), { recursive: true });
    const ok = await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'full', root: path.join(app.dataDir, 'full'), manifest },
      })
    ).json();
    expect(ok.missing).toEqual([]);
  });
});
