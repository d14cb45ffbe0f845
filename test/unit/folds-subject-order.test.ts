/**
 * Folds order 'subject': KFold(5, shuffle=True, random_state=42) over the subject's image order, as the authors'
 * code splits `dnn_acts[subj_coco_ids]` (align-interp 96006be). Fixture: test/fixtures/folds/gen_subject_order.py
 * (scikit-learn over an NSD-like subject: the stimulus table, the sessions read, a layer in its own file order).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kFoldAssignmentOrdered } from '../../src/compute/folds';
import { parseStimulusTable, subjectTrialImages } from '../../src/nsd/stimuli';
import { sessionImages, subjectImageOrder } from '../../src/nsd/subject-betas';
import { DataValidationError } from '../../src/errors';
import { foldsSpecErrors, resolveFolds } from '../../src/services/folds';

interface Case {
  stimuli: string;
  trialsPerSession: number;
  sessions: number[];
  layerIds: number[];
  evaluated: number[];
  subjectOrder: number[];
  folds: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/folds/subject_order.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

/** The subject's image order from the stimulus table and the sessions read, as the betas loader derives it. */
function orderOf(c: Case): Int32Array {
  const trials = subjectTrialImages(parseStimulusTable(c.stimuli), 1);
  const { firstTrial } = sessionImages(trials, c.sessions, c.trialsPerSession);
  const ids = Int32Array.from(firstTrial.keys()).sort();
  return subjectImageOrder(
    ids,
    Int32Array.from(ids, (id) => firstTrial.get(id)!),
  );
}

describe.each(fixture.cases.map((c, i) => [i, c] as const))("folds order 'subject' (case %i)", (_i, c) => {
  it('the subject image order is the order of first presentation in the sessions read', () => {
    expect(Array.from(orderOf(c))).toEqual(c.subjectOrder);
  });

  it('equals scikit-learn KFold(5, shuffle=True, random_state=42) over the evaluated images in that order', () => {
    const evaluated = Int32Array.from(c.evaluated);
    const folds = resolveFolds(
      evaluated,
      { k: 5, seed: 42, order: 'subject' },
      'the test inputs',
      Int32Array.from(c.layerIds),
      orderOf(c),
    );
    expect(Array.from(folds.rows)).toEqual(Array.from(evaluated.keys()));
    expect(Array.from(folds.assignment)).toEqual(c.folds);
    // not the folds of the other orders
    const byFile = resolveFolds(evaluated, { k: 5, seed: 42, order: 'activations' }, 'x', Int32Array.from(c.layerIds));
    const byId = resolveFolds(evaluated, { k: 5, seed: 42 }, 'x');
    expect(Array.from(byFile.assignment)).not.toEqual(c.folds);
    expect(Array.from(byId.assignment)).not.toEqual(c.folds);
  });
});

describe("folds order 'subject': errors", () => {
  it('an evaluated image outside the subject order is named', () => {
    expect(() =>
      kFoldAssignmentOrdered([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2], 2, 0, 'subject'),
    ).toThrow(/stimulus id 1 is not among the subject's images/);
  });
  it('inputs without a subject (layer-to-layer comparisons) are refused at request time and at run time', () => {
    expect(foldsSpecErrors({ k: 5, seed: 42, order: 'subject' }, 'body.folds', false)).toEqual([
      { field: 'body.folds.order', reason: expect.stringMatching(/no subject/) },
    ]);
    expect(foldsSpecErrors({ k: 5, seed: 42, order: 'subject' }, 'body.folds')).toEqual([]);
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    expect(() => resolveFolds(ids, { k: 5, seed: 42, order: 'subject' }, 'both layers', ids)).toThrow(
      DataValidationError,
    );
  });
});
