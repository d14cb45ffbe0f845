/**
 * Studies over HTTP. A 2 subjects x 2 layers x {neurons, SAE} grid over ROIs of two atlases (one an inline
 * union) runs as one study: every value equals the per-ROI path (one /v1/alignments run per single ROI: its
 * own decomposition) within 1e-6, with the same alphas; each subject's betas are read once for all its
 * jobs; the results table is also served as CSV; identical requests return the same study; bad ROI names
 * are 400s naming the ROI and the atlases. On the fixture NSD tree, a study reproduces scikit-learn RidgeCV
 * (test/fixtures/alignment/gen_reference.py) within 1e-3. DELETE cancels what is left and keeps the rest.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import {
  registerAlignmentFixture,
  registerSyntheticSet,
  waitForJob,
  waitForStudy,
  type RegisteredSet,
} from '../helpers/flow';
import { bhQValues, tSummary } from '../../src/compute/stats/index';

let app: TestApp;
let set: RegisteredSet;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-study', { subjects: 2, images: 600, sessions: 2 });
  for (const layerId of set.layerIds) {
    const sae = await (
      await app.request(`/v1/layers/${layerId}/saes`, {
        method: 'POST',
        auth: true,
        json: { k: 4, expansion: 2, epochs: 3, batchSize: 64, seed: 1 },
      })
    ).json();
    expect((await waitForJob(app, sae.jobId)).state).toBe('completed');
  }
}, 240_000);
afterAll(async () => {
  await app?.close();
});

type Row = {
  subject: string;
  layerId: string;
  representation: string;
  roi: string;
  atlas: string;
  value: number;
  sem: number;
  foldValues: number[];
  alphas: number[];
  nVoxels: number;
  baseline: number | null;
  runId: string;
};

const UNION = { name: 'V1', members: ['prf-visualrois/V1v', 'prf-visualrois/V1d'] };

describe('POST /v1/studies', () => {
  it('runs the grid as one study; every value equals the per-ROI path', async () => {
    const body = {
      name: 'grid',
      datasetId: set.datasetId,
      subjects: ['subj01', 2],
      layerIds: set.layerIds,
      representations: ['neurons', 'sae'],
      rois: ['prf-visualrois/V2v', 'nsdgeneral/nsdgeneral', UNION],
      folds: { k: 4, seed: 3 },
    };
    const res = await app.request('/v1/studies', { method: 'POST', auth: true, json: body });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/studies/${created.id}`);
    expect(created.progress.total).toBe(8); // 2 subjects x 2 layers x 2 representations
    expect(created.progress.jobs.total).toBe(4); // one job per subject x layer fits both representations
    expect(created.links.comparisons).toBe(`/v1/studies/${created.id}/comparisons`);
    expect(created.inputs.subjects).toEqual(['subj01', 'subj02']);
    expect(created.inputs.rois.map((r: { name: string; atlas: string }) => [r.name, r.atlas])).toEqual([
      ['V2v', 'prf-visualrois'],
      ['nsdgeneral', 'nsdgeneral'],
      ['V1', 'prf-visualrois'],
    ]);
    // identical request (keys in another order): the same study, no new runs
    const again = await (
      await app.request('/v1/studies', {
        method: 'POST',
        auth: true,
        json: { ...body, folds: { seed: 3, k: 4 }, subjects: ['subj01', 'subj02'] },
      })
    ).json();
    expect(again.id).toBe(created.id);

    const study = await waitForStudy(app, created.id);
    expect(study.state).toBe('succeeded');
    expect(study.progress).toMatchObject({ done: 8, total: 8, failed: 0 });
    const rows: Row[] = study.results;
    expect(rows).toHaveLength(8 * 3);
    // The layer x ROI difference matrix carries the corrected resampled t interval and p (q: BH across the matrix)
    // and, beside them, the stored conditional bootstrap interval and permutation p of these runs — read now,
    // before the per-ROI runs below become the newest scores.
    const matrix = await (
      await app.request(
        `/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois&representation=difference`,
      )
    ).json();
    const byCell = await (await app.request(`/v1/studies/${created.id}/comparisons`)).json();
    let shown = 0;
    matrix.layers.forEach((l: { id: string }, i: number) => {
      matrix.rois.forEach((roi: string, j: number) => {
        const c = byCell.cells.find(
          (x: { subject: string; layerId: string; roi: string }) =>
            x.subject === 'subj01' && x.layerId === l.id && x.roi === roi,
        );
        if (!c) return;
        shown++;
        expect(matrix.interval[i][j]).toBe('corrected-resampled-t');
        expect(matrix.lower[i][j]).toBeCloseTo(c.ci.lower, 12);
        expect(matrix.upper[i][j]).toBeCloseTo(c.ci.upper, 12);
        expect(matrix.p[i][j]).toBeCloseTo(c.p, 12);
        expect(matrix.conditionalBootstrapLower[i][j]).toBe(c.conditionalBootstrapCi.lower);
        expect(matrix.conditionalBootstrapUpper[i][j]).toBe(c.conditionalBootstrapCi.upper);
        expect(matrix.conditionalPermutationP[i][j]).toBe(c.conditionalPermutationP);
      });
    });
    expect(shown).toBe(4); // 2 layers x {V2v, V1}
    expect(matrix.q.flat().filter((x: number | null) => x !== null)).toEqual(
      Array.from(bhQValues(matrix.p.flat().filter((x: number | null) => x !== null)), (x) => expect.closeTo(x, 12)),
    );
    const cells = new Set(rows.map((r) => `${r.subject}/${r.layerId}/${r.representation}/${r.roi}`));
    expect(cells.size).toBe(24);
    // The baseline (each voxel predicted by its training mean) depends on the targets and folds only: one value per
    // subject x ROI, whatever the layer or representation, and below the scores these layers reach.
    for (const r of rows) {
      const same = rows.filter((x) => x.subject === r.subject && x.roi === r.roi);
      expect(Number.isFinite(r.baseline)).toBe(true);
      for (const x of same) expect(x.baseline).toBeCloseTo(r.baseline!, 6);
    }
    expect(await app.db.prisma.run.count({ where: { studyId: created.id } })).toBe(8);

    // One decomposition per fold per representation, both representations of a layer in one job, and each
    // subject's betas read once for its two jobs.
    const runs = await app.db.prisma.run.findMany({ where: { studyId: created.id }, orderBy: { finishedAt: 'asc' } });
    for (const r of runs) expect((r.timings as { decompositions: number }).decompositions).toBe(4);
    expect(new Set(runs.map((r) => r.jobId)).size).toBe(4);
    for (const subject of ['subj01', 'subj02']) {
      const loads = runs.filter(
        (r) => r.subject === subject && !(r.timings as { betasFromCache: boolean }).betasFromCache,
      );
      expect(new Set(loads.map((r) => r.jobId)).size).toBe(1);
    }

    // The per-ROI path: one alignment run per single ROI (a decomposition of its own per fold).
    for (const subject of ['subj01', 'subj02']) {
      for (const representation of ['neurons', 'sae']) {
        for (const roi of ['V2v', 'nsdgeneral', UNION]) {
          const atlas = typeof roi === 'string' && roi === 'nsdgeneral' ? 'nsdgeneral' : 'prf-visualrois';
          const r = await app.request('/v1/alignments', {
            method: 'POST',
            auth: true,
            json: {
              datasetId: set.datasetId,
              subject,
              atlas,
              rois: [roi],
              layerIds: set.layerIds,
              representation,
              folds: { k: 4, seed: 3 },
            },
          });
          expect(r.status).toBe(202);
          for (const q of (await r.json()).runs) {
            expect((await waitForJob(app, q.jobId)).state).toBe('completed');
            const run = await (await app.request(`/v1/runs/${q.id}`)).json();
            const ref = run.scores[0];
            const got = rows.find(
              (x) =>
                x.subject === subject &&
                x.layerId === q.layerId &&
                x.representation === representation &&
                x.roi === ref.roi,
            )!;
            expect(got).toBeDefined();
            expect(got.alphas).toEqual(ref.alphas);
            expect(got.nVoxels).toBe(ref.nVoxels);
            expect(Math.abs(got.value - ref.value)).toBeLessThan(1e-6);
            expect(Math.abs(got.sem - ref.sem)).toBeLessThan(1e-6);
            got.foldValues.forEach((v, k) => {
              expect(Math.abs(v - ref.foldValues[k])).toBeLessThan(1e-6);
            });
          }
        }
      }
    }
    // the union is its members' voxels together, fitted as one ROI (row LN over all of them)
    const v1 = rows.find((r) => r.roi === 'V1' && r.subject === 'subj01')!;
    const counts = await app.db.prisma.roi.findMany({
      where: {
        name: { in: ['V1v', 'V1d'] },
        hemisphere: 'both',
        subject: { label: 'subj01', datasetId: set.datasetId },
      },
    });
    expect(v1.nVoxels).toBeLessThanOrEqual(counts.reduce((t, c) => t + c.voxelCount, 0));
    expect(v1.nVoxels).toBeGreaterThan(Math.max(...counts.map((c) => c.voxelCount)));

    // CSV: the same table
    const csv = await app.request(`/v1/studies/${created.id}`, { headers: { Accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'subject,model,layer,layerId,representation,saeId,roi,atlas,value,sem,foldValues,alphas,nVoxels,nStimuli,noiseCeiling,normalised,baseline,runId',
    );
    expect(lines).toHaveLength(25);
    const first = lines[1].split(',');
    expect(Number(first[8])).toBe(rows[0].value);
    expect(first[10]).toBe(rows[0].foldValues.join(';'));

    // SAE - neurons per cell (corrected resampled t headline, BH q across the 12 cells; the conditional stimulus
    // bootstrap interval and permutation p stored by the jobs beside it) and per layer x ROI across subjects
    const cmp = await (await app.request(`/v1/studies/${created.id}/comparisons?a=neurons&b=sae`)).json();
    expect(cmp.cells).toHaveLength(12);
    const roiNames = ['V2v', 'nsdgeneral', 'V1'];
    for (const c of cmp.cells) {
      const pick = (rep: string) =>
        rows.find(
          (r) => r.subject === c.subject && r.layerId === c.layerId && r.roi === c.roi && r.representation === rep,
        )!;
      const [n, s] = [pick('neurons'), pick('sae')];
      expect(c.difference).toBeCloseTo(s.value - n.value, 10);
      const t = tSummary(
        s.foldValues.map((v, k) => v - n.foldValues[k]),
        0.95,
        1 / 3,
      );
      expect(c.p).toBeCloseTo(t.p, 12);
      expect(c.ci.lower).toBeCloseTo(t.lower, 12);
      expect(c.ci.upper).toBeCloseTo(t.upper, 12);
      expect(c).toMatchObject({ pMethod: 'corrected-resampled-t', interval: 'corrected-resampled-t', repeats: 1 });
      expect(c.conditionalPermutationP).toBeGreaterThan(0);
      expect(c.conditionalPermutationP).toBeLessThanOrEqual(1);
      expect(c.conditionalBootstrapCi).toMatchObject({ nResamples: 1000, seed: roiNames.indexOf(c.roi) });
      expect(c.conditionalBootstrapCi.lower).toBeLessThan(c.conditionalBootstrapCi.upper);
      expect(c.permutation).toEqual({ exact: false, nPermutations: 9999 });
      expect(c.nStimuli).toBe(600);
    }
    const q = bhQValues(cmp.cells.map((c: { p: number }) => c.p));
    cmp.cells.forEach((c: { q: number }, i: number) => {
      expect(c.q).toBeCloseTo(q[i], 12);
    });
    // b and a the other way round: the same cells mirrored
    const rev = await (await app.request(`/v1/studies/${created.id}/comparisons?a=sae&b=neurons`)).json();
    rev.cells.forEach(
      (
        c: { difference: number; conditionalBootstrapCi: { lower: number }; ci: { lower: number }; p: number },
        i: number,
      ) => {
        expect(c.difference).toBeCloseTo(-cmp.cells[i].difference, 12);
        expect(c.ci.lower).toBeCloseTo(-cmp.cells[i].ci.upper, 12);
        expect(c.conditionalBootstrapCi.lower).toBeCloseTo(-cmp.cells[i].conditionalBootstrapCi.upper, 12);
        expect(c.p).toBeCloseTo(cmp.cells[i].p, 12);
      },
    );
    expect(cmp.acrossSubjects).toHaveLength(6);
    expect(
      cmp.acrossSubjects.every(
        (r: { nSubjects: number; wilcoxon: { method: string } }) => r.nSubjects === 2 && r.wilcoxon.method === 'exact',
      ),
    ).toBe(true);
    const cmpCsv = await app.request(`/v1/studies/${created.id}/comparisons?format=csv&table=subjects`);
    expect(cmpCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await cmpCsv.text()).trim().split('\r\n')).toHaveLength(7);
    const bad = await app.request(`/v1/studies/${created.id}/comparisons?b=${created.id}`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('query.b');

    const list = await (await app.request('/v1/studies')).json();
    expect(list.items.map((s: { id: string }) => s.id)).toContain(created.id);

    // events: a finished study ends at once with its final state
    const ev = await (await app.request(`/v1/studies/${created.id}/events`)).text();
    expect(ev).toMatch(/event: end\n/);
    expect(ev).toContain('"state":"succeeded"');
  }, 600_000);

  it('rejects unknown ROIs naming the ROI and the atlases, writing nothing', async () => {
    const before = await app.db.prisma.study.count();
    const post = (rois: unknown[]) =>
      app.request('/v1/studies', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: set.datasetId,
          subjects: ['subj01'],
          layerIds: [set.layerIds[0]],
          representations: ['neurons'],
          rois,
        },
      });
    let res = await post(['prf-visualrois/V9x']);
    expect(res.status).toBe(400);
    let p = await res.json();
    expect(p.errors[0].field).toBe('body.rois[0]');
    expect(p.errors[0].reason).toMatch(/"V9x".*"nsdgeneral", "prf-visualrois"/);
    res = await post(['floc-faces/FFA-1']);
    p = await res.json();
    expect(p.errors[0].reason).toMatch(/no atlas "floc-faces" \(atlases: "nsdgeneral", "prf-visualrois"\)/);
    res = await post(['FFA']);
    p = await res.json();
    expect(p.errors[0].reason).toMatch(/no atlas has an ROI "FFA"/);
    res = await post([{ name: 'U', members: ['prf-visualrois/V1v', 'prf-visualrois/nope'] }]);
    p = await res.json();
    expect(p.errors[0].field).toBe('body.rois[0].members[1]');
    res = await post(['V1v', 'prf-visualrois/V1v']);
    p = await res.json();
    expect(p.errors[0].reason).toMatch(/two ROIs are named "V1v"/);
    expect(await app.db.prisma.study.count()).toBe(before);
  });

  it("resolves the manifest's roiGroups and labels only one atlas has", async () => {
    const manifest = {
      ...set.syn.manifest,
      roiGroups: [
        { name: 'V1', members: ['prf-visualrois/V1v', 'prf-visualrois/V1d'] },
        { name: 'early', members: ['prf-visualrois/V1v', 'prf-visualrois/V2v', 'nsdgeneral/nsdgeneral'] },
      ],
    };
    const ds = await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'syn-groups', root: set.syn.root, manifest },
      })
    ).json();
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: ds.id,
        subjects: [1],
        layerIds: [set.layerIds[0]],
        representations: ['neurons'],
        rois: ['V1', 'early', 'hV4'],
      },
    });
    expect(res.status).toBe(202);
    const study = await res.json();
    const byName = Object.fromEntries(study.inputs.rois.map((r: { name: string }) => [r.name, r]));
    expect(byName.V1).toMatchObject({
      atlas: 'prf-visualrois',
      members: [
        { atlas: 'prf-visualrois', label: 'V1v', hemisphere: 'both' },
        { atlas: 'prf-visualrois', label: 'V1d', hemisphere: 'both' },
      ],
    });
    expect(byName.early.atlas).toBe('nsdgeneral+prf-visualrois');
    expect(byName.hV4).toMatchObject({ atlas: 'prf-visualrois', members: [{ label: 'hV4' }] });
    expect((await app.request(`/v1/studies/${study.id}`, { method: 'DELETE', auth: true })).status).toBe(202);
  });

  it('DELETE cancels what is left and keeps finished cells', async () => {
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: ['subj01', 'subj02'],
        layerIds: set.layerIds,
        representations: ['neurons'],
        rois: ['V1v', 'V2v', 'hV4'],
        folds: { k: 3, seed: 11 },
      },
    });
    const study = await res.json();
    // wait until the first cell finished, then cancel the rest
    const deadline = Date.now() + 120_000;
    let s = study;
    while (s.progress.done < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      s = await (await app.request(`/v1/studies/${study.id}`)).json();
    }
    const del = await app.request(`/v1/studies/${study.id}`, { method: 'DELETE', auth: true });
    expect(del.status).toBe(202);
    expect((await del.json()).state).toBe('cancelled');
    const deadline2 = Date.now() + 60_000;
    for (;;) {
      s = await (await app.request(`/v1/studies/${study.id}`)).json();
      if (!s.cells.some((c: { status: string }) => c.status === 'queued' || c.status === 'running')) break;
      if (Date.now() > deadline2) throw new Error('cells still open after cancel');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(s.state).toBe('cancelled');
    const done = s.cells.filter((c: { status: string }) => c.status === 'succeeded');
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(s.cells.filter((c: { status: string }) => c.status === 'cancelled').length + done.length).toBe(4);
    expect(s.results).toHaveLength(done.length * 3);
  }, 180_000);
});

describe('a study on the fixture NSD tree', () => {
  it('matches scikit-learn RidgeCV per ROI and fold within 1e-3', async () => {
    const FIX = 'test/fixtures/alignment';
    const reference = JSON.parse(await readFile(`${FIX}/reference.json`, 'utf8')) as {
      rois: Record<
        string,
        { atlas: string; voxels: number; foldScores: number[]; alphas: number[]; mean: number; sem: number }
      >;
    };
    const folds = JSON.parse(await readFile(`${FIX}/folds.json`, 'utf8')) as Record<string, number>;
    const { datasetId, layerId } = await registerAlignmentFixture(app);
    const rois = Object.entries(reference.rois).map(([name, r]) => `${r.atlas}/${name}`);
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subjects: ['subj01'],
        layerIds: [layerId],
        representations: ['neurons'],
        rois,
        preset: 'paper',
        folds: { assignment: folds },
      },
    });
    expect(res.status).toBe(202);
    const study = await waitForStudy(app, (await res.json()).id);
    expect(study.state).toBe('succeeded');
    expect(study.results).toHaveLength(rois.length);
    for (const got of study.results as Row[]) {
      const ref = reference.rois[got.roi];
      expect(got.atlas).toBe(ref.atlas);
      expect(got.nVoxels).toBe(ref.voxels);
      expect(got.alphas).toEqual(ref.alphas);
      got.foldValues.forEach((v, k) => {
        expect(Math.abs(v - ref.foldScores[k])).toBeLessThan(1e-3);
      });
      expect(Math.abs(got.value - ref.mean)).toBeLessThan(1e-3);
    }
    // an assignment naming images the subject does not have is an error of the request's folds
    const bad = { ...folds, '999999': 0 };
    const r2 = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subjects: ['subj01'],
        layerIds: [layerId],
        representations: ['neurons'],
        rois: rois.slice(0, 1),
        folds: { assignment: bad },
      },
    });
    const failed = await waitForStudy(app, (await r2.json()).id);
    expect(failed.state).toBe('failed');
    expect(failed.cells[0].error).toMatch(/folds.assignment.*999999/);
  }, 240_000);
});
