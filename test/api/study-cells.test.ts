/**
 * Any two cells of a study over HTTP (issue 21 items 3-4): on a synthetic NSD tree with four subjects (named as
 * subjects: "all"), layer vs layer, model vs model (a second model's layer over the same stimuli) and SAE vs its
 * random twin, written `<layerId>:<representation>`. Every number is recomputed here from the stored fold values
 * of GET /v1/studies/{id}, independently of src/compute/stats: the per-cell Nadeau-Bengio corrected t (closed-form
 * t distribution with 4 df), and per layer x ROI across subjects dz, sign agreement, the exact sign-flip p over
 * the 2^4 sign vectors and BH q. A layer over other stimuli is a 400 naming why; the old selectors keep working.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, trainSaeAndWait, waitForStudy, type RegisteredSet } from '../helpers/flow';
import { Rng } from '../../src/compute/random';

let app: TestApp;
let set: RegisteredSet;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-cells', { subjects: 4, images: 300, sessions: 1 });
}, 240_000);
afterAll(async () => {
  await app?.close();
});

type Row = { subject: string; layerId: string; representation: string; saeId: string | null; roi: string };
type StoredRow = Row & { foldValues: number[] };
type Cell = {
  subject: string;
  layerId: string;
  bLayerId: string;
  roi: string;
  a: number;
  b: number;
  difference: number;
  ci: { lower: number; upper: number; sem: number; p: number; df: number };
  p: number;
  pMethod: string;
};
type AcrossRow = {
  layerId: string;
  bLayerId: string;
  roi: string;
  nSubjects: number;
  mean: number;
  dz: number;
  p: number;
  q: number;
  pMethod: string;
  minAttainableP: number;
  nPermutations: number;
  agreeing: number;
  wins: number;
  losses: number;
};

/** Two-sided p of Student's t with 4 df, in closed form: 1 - sin(th) (1 + cos^2(th) / 2), th = atan(|t| / 2). */
const tP4 = (t: number) => {
  const th = Math.atan(Math.abs(t) / 2);
  return 1 - Math.sin(th) * (1 + Math.cos(th) ** 2 / 2);
};
/** t_{0.975, 4} (scipy.stats.t.ppf(0.975, 4)). */
const T975_4 = 2.7764451051977987;

/** A second model's layer: `rows` of layer1's activations (plus noise when `noise`), with their NSD ids. */
async function extraLayer(modelId: string, name: string, rows: (i: number) => boolean, noise: number) {
  const src = set.syn.layers[0];
  const acts = readNpy(new Uint8Array(await readFile(src.activations)));
  const ids = readNpy(new Uint8Array(await readFile(src.stimulusIds)));
  const [n, u] = acts.shape;
  const keep = Array.from({ length: n }, (_, i) => i).filter(rows);
  const rng = new Rng(5);
  const a = new Float32Array(keep.length * u);
  keep.forEach((r, i) => {
    for (let j = 0; j < u; j++) a[i * u + j] = Number(acts.data[r * u + j]) + noise * rng.normal();
  });
  const dir = path.join(app.dataDir, 'other');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.npy`), writeNpy(a, [keep.length, u]));
  await writeFile(
    path.join(dir, `${name}_ids.npy`),
    writeNpy(
      Int32Array.from(keep, (r) => Number(ids.data[r])),
      [keep.length],
    ),
  );
  const res = await app.request(`/v1/models/${modelId}/layers`, {
    method: 'POST',
    auth: true,
    json: {
      name,
      activations: { path: path.join(dir, `${name}.npy`) },
      stimulusIds: { path: path.join(dir, `${name}_ids.npy`) },
    },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
}

/** What the cells of a against b must be, from the stored rows: fold-paired differences, corrected t. */
function expectCells(cells: Cell[], rows: StoredRow[], a: (r: Row) => boolean, b: (r: Row) => boolean) {
  const at = (pick: (r: Row) => boolean, c: Cell) =>
    rows.find((r) => pick(r) && r.subject === c.subject && r.roi === c.roi)!;
  for (const c of cells) {
    const [ra, rb] = [at(a, c), at(b, c)];
    const d = rb.foldValues.map((v, k) => v - ra.foldValues[k]);
    const K = d.length;
    const mean = d.reduce((s, v) => s + v, 0) / K;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (K - 1));
    const se = sd * Math.sqrt(1 / K + 1 / (K - 1)); // n_test / n_train = 60 / 240
    expect(K).toBe(5);
    expect(c.difference).toBeCloseTo(mean, 12);
    expect(c.ci.sem).toBeCloseTo(se, 12);
    expect(c.ci.lower).toBeCloseTo(mean - T975_4 * se, 12);
    expect(c.ci.upper).toBeCloseTo(mean + T975_4 * se, 12);
    expect(c.ci.df).toBe(4);
    expect(c.p).toBeCloseTo(tP4(mean / se), 10);
    expect(c.pMethod).toBe('corrected-resampled-t');
  }
}

/** Across subjects from the cells: dz, agreement, exact sign-flip p over 2^n sign vectors, BH q over the rows. */
function expectAcross(rows: AcrossRow[], cells: Cell[]) {
  const p: number[] = [];
  for (const r of rows) {
    const d = cells.filter((c) => c.roi === r.roi && c.layerId === r.layerId).map((c) => c.difference);
    const n = d.length;
    const mean = d.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    const sums = Array.from({ length: 2 ** n }, (_, m) => d.reduce((s, v, i) => s + ((m >> i) & 1 ? -v : v), 0));
    const t = mean * n;
    const eps = 1e-12 * Math.abs(t);
    const le = sums.filter((s) => s <= t + eps).length / 2 ** n;
    const ge = sums.filter((s) => s >= t - eps).length / 2 ** n;
    const wins = d.filter((v) => v > 0).length;
    expect(r.nSubjects).toBe(4);
    expect(r.mean).toBeCloseTo(mean, 12);
    expect(r.dz).toBeCloseTo(mean / sd, 10);
    expect(r.p).toBeCloseTo(Math.min(1, 2 * Math.min(le, ge)), 12);
    expect(r).toMatchObject({ pMethod: 'exact sign-flip over subjects', minAttainableP: 0.125, nPermutations: 16 });
    expect(r.wins).toBe(wins);
    expect(r.losses).toBe(d.filter((v) => v < 0).length);
    expect(r.agreeing).toBe(mean > 0 ? wins : r.losses);
    p.push(r.p);
  }
  // BH by definition: q_(i) = min_{j >= i} p_(j) m / j
  const order = p.map((_, i) => i).sort((i, j) => p[i] - p[j]);
  const q = new Array<number>(p.length);
  let run = 1;
  for (let j = order.length - 1; j >= 0; j--) {
    run = Math.min(run, (p[order[j]] * p.length) / (j + 1));
    q[order[j]] = run;
  }
  rows.forEach((r, i) => {
    expect(r.q).toBeCloseTo(q[i], 12);
  });
}

describe('any two cells of a study', () => {
  it('layer vs layer, model vs model and SAE vs random twin, per cell and across subjects', async () => {
    const [l1, l2] = set.layerIds;
    const saeId = await trainSaeAndWait(app, l1, { k: 4, expansion: 2, epochs: 3, batchSize: 64, seed: 1 });
    const other = await (
      await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'other-net' } })
    ).json();
    const b1 = await extraLayer(other.id, 'noisy', () => true, 0.5);
    const sub = await extraLayer(other.id, 'subset', (i) => i % 3 !== 0, 0);

    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: 'all',
        layerIds: [l1, l2, b1, sub],
        representations: ['neurons', { saeId }, { randomSaeOf: saeId }],
        rois: ['prf-visualrois/V2v', 'nsdgeneral/nsdgeneral'],
        folds: { k: 5, seed: 0 },
        statistics: { resamples: 20, permutations: 99 },
      },
    });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(created.inputs.subjects).toEqual(['subj01', 'subj02', 'subj03', 'subj04']);
    const study = await waitForStudy(app, created.id, 600_000);
    expect(study.state).toBe('succeeded');
    const rows: StoredRow[] = study.results;
    const url = (a: string, b: string, extra = '') => `/v1/studies/${created.id}/comparisons?a=${a}&b=${b}${extra}`;
    const get = async (a: string, b: string) => {
      const r = await app.request(url(a, b));
      expect(r.status).toBe(200);
      return (await r.json()) as { cells: Cell[]; acrossSubjects: AcrossRow[]; a: string; b: string };
    };
    const cell = (layerId: string, rep: string) => (r: Row) => r.layerId === layerId && r.representation === rep;

    // layer vs layer (one model)
    const ll = await get(`${l1}:neurons`, `${l2}:neurons`);
    expect(ll.cells).toHaveLength(8); // 4 subjects x 2 ROIs
    expect(ll.cells.every((c) => c.layerId === l1 && c.bLayerId === l2)).toBe(true);
    expectCells(ll.cells, rows, cell(l1, 'neurons'), cell(l2, 'neurons'));
    expect(ll.acrossSubjects).toHaveLength(2);
    expectAcross(ll.acrossSubjects, ll.cells);

    // model vs model: the other model's noisy copy of layer1 over the same stimuli
    const mm = await get(`${l1}:neurons`, `${b1}:neurons`);
    expect(mm.cells).toHaveLength(8);
    expectCells(mm.cells, rows, cell(l1, 'neurons'), cell(b1, 'neurons'));
    expectAcross(mm.acrossSubjects, mm.cells);

    // SAE vs its random twin (by SAE id and by name)
    const sr = await get(`${l1}:random-sae`, `${l1}:${saeId}`);
    expect(sr.cells).toHaveLength(8);
    expectCells(sr.cells, rows, cell(l1, 'random-sae'), cell(l1, 'sae'));
    expectAcross(sr.acrossSubjects, sr.cells);
    expect((await get('random-sae', 'sae')).cells.map((c) => c.difference)).toEqual(sr.cells.map((c) => c.difference));

    // the old form: every layer's neurons against its SAE (only layer1 has one)
    const old = await get('neurons', 'sae');
    expect(old.cells).toHaveLength(8);
    expect(old.cells.every((c) => c.layerId === l1 && c.bLayerId === l1)).toBe(true);

    // CSV: the across-subjects table and the cells, b's layer named
    const csv = (await (await app.request(url(`${l1}:neurons`, `${l2}:neurons`, '&format=csv&table=subjects'))).text())
      .trim()
      .split('\r\n');
    const head = csv[0].split(',');
    expect(csv).toHaveLength(3);
    expect(Number(csv[1].split(',')[head.indexOf('p')])).toBe(ll.acrossSubjects[0].p);
    expect(Number(csv[1].split(',')[head.indexOf('minAttainableP')])).toBe(0.125);
    const cellsCsv = (await (await app.request(url(`${l1}:neurons`, `${l2}:neurons`, '&format=csv'))).text()).split(
      '\r\n',
    );
    expect(cellsCsv[1].split(',')[cellsCsv[0].split(',').indexOf('bLayerId')]).toBe(l2);

    // a layer over other stimuli, a cell against a whole representation, an unknown layer: 400 naming why
    const bad = async (a: string, b: string, field: string, reason: RegExp) => {
      const r = await app.request(url(a, b));
      expect(r.status).toBe(400);
      const e = (await r.json()).errors[0];
      expect(e.field).toBe(field);
      expect(e.reason).toMatch(reason);
    };
    await bad(`${l1}:neurons`, `${sub}:neurons`, 'query.b', /different stimuli \(300 and \d+ images\)/);
    await bad('neurons', `${l2}:neurons`, 'query.a', /name both that way/);
    await bad(`${l1}:neurons`, `${created.id}:neurons`, 'query.b', /no results of layer/);
    await bad(`${l1}:neurons`, `${l1}:bogus`, 'query.b', /.+/);
  }, 900_000);
});
