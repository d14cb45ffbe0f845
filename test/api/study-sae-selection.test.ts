/**
 * SAE choice without peeking (issue 21 item 8) over HTTP: a study lists two SAEs of a layer with
 * {selectSae: 'inner-cv'}; per outer fold the candidate with the best inner-CV score over that fold's training
 * stimuli predicts the fold's test stimuli. The choice and inner scores are stored with the run and shown in
 * GET /v1/studies/{id} results; each selected fold value is exactly the chosen SAE's fold value in the same study
 * (its fixed cell, same folds); a named SAE reads saeSelection 'fixed'. That the test stimuli never enter the
 * choice is shown by construction in test/unit/ridge-select.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, trainSaeAndWait, waitForStudy, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let good: string;
let poor: string;
let other: string;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-select', { subjects: 1, images: 400, sessions: 1 });
  good = await trainSaeAndWait(app, set.layerIds[0], { k: 8, expansion: 2, epochs: 5, batchSize: 32, seed: 4 });
  poor = await trainSaeAndWait(app, set.layerIds[0], { k: 1, expansion: 1, epochs: 1, batchSize: 32, seed: 5 });
  other = await trainSaeAndWait(app, set.layerIds[1], { k: 4, expansion: 1, epochs: 1, batchSize: 32, seed: 6 });
}, 300_000);
afterAll(async () => {
  await app?.close();
});

type Selection = {
  method: string;
  candidates: string[];
  innerFolds: number;
  folds: { fold: number; saeId: string; innerScores: Record<string, number | null> }[];
};
type Row = {
  representation: string;
  saeId: string | null;
  roi: string;
  foldValues: number[];
  runId: string;
  saeSelection: 'fixed' | Selection | null;
};

const base = () => ({
  datasetId: set.datasetId,
  subjects: ['subj01'],
  layerIds: [set.layerIds[0]],
  rois: ['prf-visualrois/V1v', 'prf-visualrois/V2v'],
  folds: { k: 4, seed: 3 },
});

describe('studies: selectSae inner-cv', () => {
  it('chooses per outer fold from the training part, records the choice, and equals the chosen SAE fold by fold', async () => {
    const select = { selectSae: 'inner-cv', candidates: [poor, good], innerFolds: 3 };
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: { ...base(), representations: ['neurons', { saeId: good }, { saeId: poor }, select] },
    });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(created.inputs.cells[3]).toMatchObject({
      representation: 'sae',
      saeId: null,
      selection: { method: 'inner-cv', candidates: [poor, good], innerFolds: 3 },
    });
    const study = await waitForStudy(app, created.id);
    expect(study.state).toBe('succeeded');
    const rows: Row[] = study.results;
    expect(rows).toHaveLength(4 * 2);
    for (const r of rows.filter((x) => x.representation === 'neurons')) expect(r.saeSelection).toBeNull();
    for (const r of rows.filter((x) => x.saeId)) expect(r.saeSelection).toBe('fixed');
    const selected = rows.filter((x) => x.representation === 'sae' && x.saeId === null);
    expect(selected).toHaveLength(2);
    for (const r of selected) {
      const s = r.saeSelection as Selection;
      expect(s.method).toBe('inner-cv');
      expect(s.candidates).toEqual([poor, good]);
      expect(s.folds).toHaveLength(4);
      for (const f of s.folds) {
        // the chosen SAE has the best inner score (ties: the first listed)
        const scores = s.candidates.map((id) => f.innerScores[id] ?? -Infinity);
        expect(f.saeId).toBe(s.candidates[scores.indexOf(Math.max(...scores))]);
        // the selected cell's fold value is the chosen SAE's fold value on the same folds
        const fixed = rows.find((x) => x.saeId === f.saeId && x.roi === r.roi)!;
        expect(r.foldValues[f.fold]).toBe(fixed.foldValues[f.fold]);
      }
      // the good SAE is clearly better on every training part, so it is chosen in every fold
      expect(s.folds.map((f) => f.saeId)).toEqual([good, good, good, good]);
      for (const f of s.folds) expect(f.innerScores[good]!).toBeGreaterThan(f.innerScores[poor]!);
    }
    // the run stores the choice with its provenance
    const run = await (await app.request(`/v1/runs/${selected[0].runId}`)).json();
    expect(JSON.stringify(run)).toContain('inner-cv');
  }, 400_000);

  it('rejects a selection naming the field: one candidate, candidates of another layer, a single alignment', async () => {
    const post = (json: object) => app.request('/v1/studies', { method: 'POST', auth: true, json });
    const one = await post({ ...base(), representations: [{ selectSae: 'inner-cv', candidates: [good] }] });
    expect(one.status).toBe(400);
    expect((await one.json()).errors[0].field).toMatch(/^body\.representations\[0\]/);
    const mixed = await post({
      ...base(),
      layerIds: set.layerIds,
      representations: [{ selectSae: 'inner-cv', candidates: [good, other] }],
    });
    expect(mixed.status).toBe(400);
    expect((await mixed.json()).errors[0]).toMatchObject({ field: 'body.representations[0].candidates' });
    const single = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        layerIds: [set.layerIds[0]],
        representation: { selectSae: 'inner-cv', candidates: [good, poor] },
      },
    });
    expect(single.status).toBe(400);
    expect((await single.json()).errors[0].field).toMatch(/^body\.representation/);
  });
});
