/**
 * The hierarchical bootstrap across subjects over HTTP (issue 21 item 3, the option beside the exact sign-flip):
 * a study of three synthetic subjects, one layer as neurons and as a trained SAE's latents, whose unit jobs store
 * each paired cell's stimulus-bootstrap replicates. GET /v1/studies/{id}/comparisons?acrossSubjects=
 * hierarchical-bootstrap then reports per ROI the interval and p recomputed here from the stored replicates (the
 * documented draw order of the service's seeded generator; percentile interval as numpy; null-centred p), BH q over
 * the table, and the sign-flip p beside it; a - b mirrors the interval; bad values are 400s naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/compute/random';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, trainSaeAndWait, waitForStudy, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-hier', { subjects: 3, images: 300, sessions: 1 });
}, 240_000);
afterAll(async () => {
  await app?.close();
});

type Row = {
  roi: string;
  nSubjects: number;
  mean: number;
  method: string;
  p: number | null;
  q: number | null;
  pMethod: string;
  minAttainableP: number;
  signFlipP: number;
  hierarchicalBootstrap: {
    lower: number;
    upper: number;
    se: number;
    nResamples: number;
    seed: number;
    subjectDraws: number;
  } | null;
  note: string | null;
};
type Cell = { subject: string; roi: string; difference: number };

/** numpy.percentile (linear) of sorted values. */
const quantile = (s: Float64Array, q: number) => {
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
};

/** The two-level bootstrap from the documented draw order: per resample, per position, subject then replicate. */
function reference(d: number[], reps: number[][], B: number, seed: number) {
  const n = d.length;
  const rng = new Rng(seed);
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const s = rng.int(n);
      sum += reps[s][rng.int(reps[s].length)];
    }
    means[b] = sum / n;
  }
  const extreme = means.filter((m) => Math.abs(m - mean) >= Math.abs(mean)).length;
  const sorted = Float64Array.from(means).sort();
  return { lower: quantile(sorted, 0.025), upper: quantile(sorted, 0.975), p: (1 + extreme) / (B + 1) };
}

describe('hierarchical bootstrap across subjects', () => {
  it('is an option of the comparisons, from the stored replicates; bad values are 400s', async () => {
    const [l1] = set.layerIds;
    const saeId = await trainSaeAndWait(app, l1, { k: 4, expansion: 2, epochs: 3, batchSize: 64, seed: 1 });
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: 'all',
        layerIds: [l1],
        representations: ['neurons', { saeId }],
        rois: ['prf-visualrois/V2v', 'nsdgeneral/nsdgeneral'],
        folds: { k: 5, seed: 0 },
        statistics: { resamples: 40, permutations: 99 },
      },
    });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect((await waitForStudy(app, created.id, 600_000)).state).toBe('succeeded');
    const url = (q: string) => `/v1/studies/${created.id}/comparisons?a=neurons&b=${saeId}${q}`;

    const plain = await (await app.request(url(''))).json();
    expect(plain.acrossSubjectsMethod).toBe('sign-flip');
    expect(plain.acrossSubjects[0]).toMatchObject({
      method: 'sign-flip',
      hierarchicalBootstrap: null,
      minAttainableP: 0.25,
    });

    const r = await app.request(url('&acrossSubjects=hierarchical-bootstrap&bootstrapResamples=500'));
    expect(r.status).toBe(200);
    const hier = (await r.json()) as { acrossSubjectsMethod: string; cells: Cell[]; acrossSubjects: Row[] };
    expect(hier.acrossSubjectsMethod).toBe('hierarchical-bootstrap');
    expect(hier.acrossSubjects).toHaveLength(2);
    const stored = await app.db.prisma.pairedComparison.findMany({ where: { studyId: created.id } });
    expect(stored).toHaveLength(6);
    for (const s of stored) {
      expect(s.bootstrapReplicates.length).toBeGreaterThan(30);
      expect(s.bootstrapReplicates.length).toBeLessThanOrEqual(40);
    }
    hier.acrossSubjects.forEach((row, i) => {
      const cells = hier.cells.filter((c) => c.roi === row.roi);
      const reps = cells.map(
        (c) => stored.find((s) => s.subject === c.subject && s.roi === c.roi)!.bootstrapReplicates,
      );
      const ref = reference(
        cells.map((c) => c.difference),
        reps,
        500,
        0,
      );
      expect(row).toMatchObject({
        nSubjects: 3,
        method: 'hierarchical-bootstrap',
        pMethod: 'hierarchical bootstrap over subjects then stimuli',
        minAttainableP: 1 / 501,
        signFlipP: plain.acrossSubjects[i].p,
        note: null,
      });
      expect(row.hierarchicalBootstrap).toMatchObject({ nResamples: 500, seed: 0, subjectDraws: 27 });
      expect(row.hierarchicalBootstrap!.lower).toBeCloseTo(ref.lower, 12);
      expect(row.hierarchicalBootstrap!.upper).toBeCloseTo(ref.upper, 12);
      expect(row.p).toBeCloseTo(ref.p, 12);
    });
    // BH over the table's hierarchical p (two rows)
    const [p0, p1] = hier.acrossSubjects.map((x) => x.p!);
    const q = p0 <= p1 ? [Math.min(2 * p0, p1), p1] : [p0, Math.min(2 * p1, p0)];
    expect(hier.acrossSubjects[0].q).toBeCloseTo(Math.min(1, q[0]), 12);
    expect(hier.acrossSubjects[1].q).toBeCloseTo(Math.min(1, q[1]), 12);

    // a - b: the replicates mirror, so does the interval; p is the same
    const back = await (
      await app.request(
        `/v1/studies/${created.id}/comparisons?a=${saeId}&b=neurons&acrossSubjects=hierarchical-bootstrap&bootstrapResamples=500`,
      )
    ).json();
    const h0 = hier.acrossSubjects[0].hierarchicalBootstrap!;
    expect(back.acrossSubjects[0].hierarchicalBootstrap.lower).toBeCloseTo(-h0.upper, 12);
    expect(back.acrossSubjects[0].hierarchicalBootstrap.upper).toBeCloseTo(-h0.lower, 12);
    expect(back.acrossSubjects[0].p).toBe(hier.acrossSubjects[0].p);

    // CSV of the across-subjects table names the method
    const csv = (
      await (await app.request(url('&acrossSubjects=hierarchical-bootstrap&format=csv&table=subjects'))).text()
    )
      .trim()
      .split('\r\n');
    const head = csv[0].split(',');
    expect(csv[1].split(',')[head.indexOf('method')]).toBe('hierarchical-bootstrap');

    // bad values: 400 naming the field
    for (const [q, field] of [
      ['&acrossSubjects=bootstrap', 'query.acrossSubjects'],
      ['&acrossSubjects=hierarchical-bootstrap&bootstrapResamples=5', 'query.bootstrapResamples'],
      ['&bootstrapResamples=1000000', 'query.bootstrapResamples'],
      ['&bootstrapResamples=many', 'query.bootstrapResamples'],
    ]) {
      const bad = await app.request(url(q));
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await bad.json()).errors[0].field).toBe(field);
    }
  }, 900_000);
});
