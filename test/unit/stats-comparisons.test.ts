/**
 * services/paired-comparisons: cells from stored fold scores or held-out predictions, q across a table's
 * cells, the across-subjects table and the CSV forms.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DenseMatrix } from '../../src/compute/matrix';
import { perRepeatCorrectedT } from '../helpers/per-repeat-t';
import { Rng } from '../../src/compute/random';
import {
  bhQValues,
  hierarchicalBootstrap,
  holmAdjusted,
  pairedCell,
  tSummary,
  wilcoxonSignedRank,
} from '../../src/compute/stats/index';
import {
  acrossSubjectsCsv,
  acrossSubjectsTable,
  adjustPValues,
  comparisonCells,
  comparisonCellsCsv,
  compareResultRows,
  differenceGrids,
  SelectorError,
  foldIdentity,
  type ResultRow,
  foldDifference,
  type CellInput,
  type PairedSummary,
} from '../../src/services/paired-comparisons';

function inputs(): CellInput[] {
  const rng = new Rng(17);
  const out: CellInput[] = [];
  for (const subject of ['subj01', 'subj02', 'subj05', 'subj07']) {
    for (const [layer, gain] of [
      ['l1', 0.02],
      ['l2', 0],
    ] as const) {
      for (const roi of ['V1v', 'FFA-1']) {
        const aFolds = Array.from({ length: 5 }, () => 0.3 + 0.01 * rng.normal());
        const bFolds = aFolds.map((v) => v + gain + 0.005 * rng.normal());
        out.push({ subject, layerId: `id-${layer}`, layerName: layer, roi, aFolds, bFolds });
      }
    }
  }
  return out;
}

describe('paired-comparisons service', () => {
  it('fold differences: plain and corrected t interval and p of b - a, null when folds do not pair', () => {
    const d = foldDifference([0.1, 0.2, 0.3], [0.15, 0.22, 0.36])!;
    const t = tSummary([0.05, 0.02, 0.06]);
    expect(d.value).toBeCloseTo(t.mean, 14);
    expect(d.lower).toBeCloseTo(t.lower, 14);
    expect(d.p).toBeCloseTo(t.p, 14);
    const c = tSummary([0.05, 0.02, 0.06], 0.95, 1 / 2); // K = 3: n_test / n_train = 1/2
    expect(d.corrected.lower).toBeCloseTo(c.lower, 14);
    expect(d.corrected.p).toBeCloseTo(c.p, 14);
    expect(d.corrected.upper! - d.corrected.lower!).toBeGreaterThan(d.upper! - d.lower!);
    expect(d.corrected.df).toBe(2);
    // Two repeats of K = 3: the same n_test / n_train = 1/2; each repeat's variance averaged, factor 1/3 + 1/2, df 2.
    const a6 = [0.1, 0.2, 0.3, 0.12, 0.18, 0.33];
    const b6 = [0.15, 0.22, 0.36, 0.13, 0.25, 0.35];
    const d6 = b6.map((v, i) => v - a6[i]);
    const r = foldDifference(a6, b6, 2)!;
    const c6 = perRepeatCorrectedT(d6, 2, 1 / 2);
    expect(r).toMatchObject({ nFolds: 6, repeats: 2, corrected: { df: 2 } });
    expect(r.corrected.lower).toBeCloseTo(c6.lower, 14);
    expect(r.corrected.p).toBeCloseTo(c6.p, 14);
    // As one K = 6 split instead, the correction would be 1/5: repeats change the interval.
    expect(foldDifference(a6, b6)!.corrected.lower).toBeCloseTo(tSummary(d6, 0.95, 1 / 5).lower, 14);
    expect(foldDifference([0.1, 0.2], [0.1])).toBeNull();
    expect(foldDifference([0.1], [0.2])).toMatchObject({ value: expect.closeTo(0.1, 12), lower: null, p: null });
  });

  it('adjusts p across the table, BH by default, Holm on request, nulls kept', () => {
    const p = [0.01, null, 0.04, 0.02];
    expect(adjustPValues(p)).toEqual(
      Array.from(bhQValues([0.01, NaN, 0.04, 0.02]), (v) => (Number.isNaN(v) ? null : v)),
    );
    expect(adjustPValues(p, 'holm')).toEqual(
      Array.from(holmAdjusted([0.01, NaN, 0.04, 0.02]), (v) => (Number.isNaN(v) ? null : v)),
    );
    const grids = differenceGrids([[foldDifference([0.1, 0.2, 0.3], [0.2, 0.3, 0.41]), null]]);
    expect(grids.q[0][1]).toBeNull();
    expect(grids.q[0][0]).toBe(grids.p[0][0]); // one test: q = p
    expect(grids.p[0][0]).toBe(foldDifference([0.1, 0.2, 0.3], [0.2, 0.3, 0.41])!.corrected.p);
    expect(grids.interval[0]).toEqual(['corrected-resampled-t', null]);
  });

  it('matrix cells keep the corrected t as headline; stored stimulus statistics sit beside it, a - b mirrors b - a', () => {
    const d = foldDifference([0.1, 0.2, 0.3], [0.2, 0.3, 0.41]);
    const stored = {
      a: 0.2,
      b: 0.303,
      difference: 0.103,
      bootstrapCi: { lower: 0.05, upper: 0.16, se: 0.03, nResamples: 1000, seed: 4 },
      p: 0.003,
      permutation: { exact: false, nPermutations: 9999 },
      nStimuli: 90,
    };
    const grids = differenceGrids([[d, d]], [[stored, null]]);
    expect(grids.interval[0]).toEqual(['corrected-resampled-t', 'corrected-resampled-t']);
    expect([grids.lower[0][0], grids.upper[0][0], grids.p[0][0]]).toEqual([
      d!.corrected.lower,
      d!.corrected.upper,
      d!.corrected.p,
    ]);
    expect(grids.p[0][1]).toBe(d!.corrected.p);
    expect(grids.q[0]).toEqual(Array.from(bhQValues([d!.corrected.p!, d!.corrected.p!])));
    expect(grids.conditionalBootstrapLower[0]).toEqual([0.05, null]);
    expect(grids.conditionalBootstrapUpper[0]).toEqual([0.16, null]);
    expect(grids.conditionalPermutationP[0]).toEqual([0.003, null]);
    const rows: ResultRow[] = [
      {
        subject: 's',
        layer: 'l',
        layerId: 'L',
        representation: 'neurons',
        saeId: null,
        roi: 'r',
        foldValues: [0.1, 0.2, 0.3],
        normalised: null,
        runId: 'n1',
      },
      {
        subject: 's',
        layer: 'l',
        layerId: 'L',
        representation: 'sae',
        saeId: 'S',
        roi: 'r',
        foldValues: [0.2, 0.3, 0.41],
        normalised: null,
        runId: 's1',
      },
    ];
    const lookup = new Map([['n1|s1|r', stored]]);
    const fwd = compareResultRows(rows, 'neurons', 'sae', 'bh', lookup).cells[0];
    const rev = compareResultRows(rows, 'sae', 'neurons', 'bh', lookup).cells[0];
    expect(fwd).toMatchObject({
      difference: 0.103,
      ci: { lower: d!.corrected.lower, upper: d!.corrected.upper },
      interval: 'corrected-resampled-t',
      p: d!.corrected.p,
      pMethod: 'corrected-resampled-t',
      conditionalBootstrapCi: { lower: 0.05, upper: 0.16 },
      conditionalPermutationP: 0.003,
      nStimuli: 90,
    });
    expect(rev).toMatchObject({
      a: 0.303,
      b: 0.2,
      difference: -0.103,
      ci: { lower: -d!.corrected.upper!, upper: -d!.corrected.lower! },
      p: d!.corrected.p,
      conditionalBootstrapCi: { lower: -0.16, upper: -0.05 },
      conditionalPermutationP: 0.003,
    });
  });

  it('cells take q across all cells; the across-subjects table summarises per layer x ROI', () => {
    const cells = comparisonCells(inputs());
    expect(cells).toHaveLength(16);
    expect(cells.every((c) => c.pMethod === 'corrected-resampled-t' && c.conditionalBootstrapCi === null)).toBe(true);
    cells.forEach((c) => {
      expect(c.p).toBe(c.ci.p);
    });
    const q = bhQValues(cells.map((c) => c.p!));
    cells.forEach((c, i) => {
      expect(c.q).toBeCloseTo(q[i], 14);
    });
    const rows = acrossSubjectsTable(cells);
    expect(rows.map((r) => `${r.layerName}/${r.roi}`)).toEqual(['l1/V1v', 'l1/FFA-1', 'l2/V1v', 'l2/FFA-1']);
    for (const r of rows) {
      const d = cells.filter((c) => c.layerName === r.layerName && c.roi === r.roi).map((c) => c.difference);
      expect(r.nSubjects).toBe(4);
      expect(r.mean).toBeCloseTo(tSummary(d).mean, 14);
      expect(r.tP).toBeCloseTo(tSummary(d).p, 14);
      expect(r).toMatchObject({ pMethod: 'exact sign-flip over subjects', minAttainableP: 0.125, nPermutations: 16 });
      expect(r.wilcoxon).toMatchObject({ statistic: wilcoxonSignedRank(d).statistic, method: 'exact' });
      expect(r.wins).toBe(d.filter((v) => v > 0).length);
    }
    // l1 is built to win in every subject
    expect(rows[0].wins).toBe(4);
    expect(rows[0]).toMatchObject({ agreeing: 4, p: 0.125 });
    expect(rows[0].lower!).toBeGreaterThan(0);
    const csv = acrossSubjectsCsv(rows).split('\r\n');
    expect(csv[0]).toBe(
      'layer,layerId,bLayer,bLayerId,roi,nSubjects,mean,dz,p,q,method,pMethod,minAttainableP,signFlipP,hierarchicalLower,hierarchicalUpper,hierarchicalSe,hierarchicalResamples,note,nPermutations,agreeing,wins,losses,ties,sem,lower,upper,t,df,tP,wilcoxonStatistic,wilcoxonP,wilcoxonMethod',
    );
    expect(csv).toHaveLength(6); // header, 4 rows, trailing empty
  });

  it('a cell with held-out predictions reports the conditional stimulus statistics beside the corrected t p', () => {
    const rng = new Rng(2);
    const mk = (m: number): DenseMatrix<Float32Array> => ({
      rows: m,
      cols: 3,
      data: Float32Array.from({ length: m * 3 }, () => rng.normal()),
    });
    const folds = [0, 1, 2].map(() => ({ a: mk(12), b: mk(12), y: mk(12) }));
    const paired = pairedCell(folds, { kind: 'cosine', nResamples: 50, seed: 9 });
    const [cell] = comparisonCells([
      { subject: 's', layerId: 'l', layerName: 'l,1', roi: 'V1v', aFolds: paired.foldA, bFolds: paired.foldB, paired },
    ]);
    expect(cell).toMatchObject({
      p: paired.foldCiCorrected.p,
      pMethod: 'corrected-resampled-t',
      conditionalPermutationP: paired.p,
      nStimuli: 36,
      q: paired.foldCiCorrected.p,
    });
    expect(cell.ci.lower).toBeCloseTo(paired.foldCiCorrected.lower, 14);
    expect(cell.ci.upper).toBeCloseTo(paired.foldCiCorrected.upper, 14);
    expect(cell.conditionalBootstrapCi).toMatchObject({ lower: paired.bootstrapCi.lower, nResamples: 50, seed: 9 });
    const csv = comparisonCellsCsv([cell]).split('\r\n');
    expect(
      csv[0].startsWith('subject,layer,layerId,bLayer,bLayerId,roi,a,b,difference,lower,upper,sem,df,p,q,pMethod,'),
    ).toBe(true);
    expect(csv[1].startsWith('s,"l,1",l,"l,1",l,V1v,')).toBe(true);
  });

  it('pairs stored result rows by subject, layer and ROI; selectors by name or SAE id', () => {
    const rows: ResultRow[] = inputs().flatMap((c) => [
      {
        subject: c.subject,
        layer: c.layerName,
        layerId: c.layerId,
        representation: 'neurons',
        saeId: null,
        roi: c.roi,
        foldValues: [...c.aFolds],
        normalised: 0.5,
      },
      {
        subject: c.subject,
        layer: c.layerName,
        layerId: c.layerId,
        representation: 'sae',
        saeId: `sae-${c.layerName}`,
        roi: c.roi,
        foldValues: [...c.bFolds],
        normalised: null,
      },
    ]);
    const { cells, acrossSubjects } = compareResultRows(rows, 'neurons', 'sae');
    expect(cells).toEqual(comparisonCells(inputs().map((c) => ({ ...c, aNormalised: 0.5, bNormalised: null }))));
    expect(cells[0].normalised).toEqual({ a: 0.5, b: null, difference: null });
    expect(acrossSubjects).toHaveLength(4);
    // b by SAE id: only layer l1's SAE -> only l1 cells
    expect(compareResultRows(rows, 'neurons', 'sae-l1').cells.every((c) => c.layerName === 'l1')).toBe(true);
    expect(() => compareResultRows(rows, 'neurons', 'nope')).toThrow(SelectorError);
    const twoSaes = [...rows, { ...rows[1], saeId: 'other' }];
    expect(() => compareResultRows(twoSaes, 'neurons', 'sae')).toThrow(/several SAEs/);
  });

  it('across subjects, hierarchical bootstrap: from the stored replicates (mirrored when stored a - b), BH over p', () => {
    const rows: ResultRow[] = inputs().flatMap((c, i) => [
      {
        subject: c.subject,
        layer: c.layerName,
        layerId: c.layerId,
        representation: 'neurons',
        saeId: null,
        roi: c.roi,
        foldValues: [...c.aFolds],
        normalised: null,
        runId: `a${i}`,
      },
      {
        subject: c.subject,
        layer: c.layerName,
        layerId: c.layerId,
        representation: 'sae',
        saeId: 's',
        roi: c.roi,
        foldValues: [...c.bFolds],
        normalised: null,
        runId: `b${i}`,
      },
    ]);
    const rng = new Rng(5);
    const paired = new Map<string, PairedSummary>();
    inputs().forEach((c, i) => {
      const d = c.bFolds.reduce((s, v, k) => s + v - c.aFolds[k], 0) / c.bFolds.length;
      const replicates = Array.from({ length: 200 }, () => d + 0.003 * rng.normal());
      const summary: PairedSummary = {
        a: 0.3,
        b: 0.3 + d,
        difference: d,
        bootstrapCi: null,
        p: null,
        permutation: { exact: false, nPermutations: 0 },
        nStimuli: 100,
        replicates,
      };
      // half stored the other way round (b - a of the reversed pair): read back mirrored
      if (i % 2)
        paired.set(`b${i}|a${i}|${c.roi}`, { ...summary, difference: -d, replicates: replicates.map((v) => -v) });
      else paired.set(`a${i}|b${i}|${c.roi}`, summary);
    });
    const across = { method: 'hierarchical-bootstrap' as const, nResamples: 999 };
    const { cells, acrossSubjects } = compareResultRows(rows, 'neurons', 'sae', 'bh', paired, undefined, across);
    expect(acrossSubjects).toHaveLength(4);
    for (const r of acrossSubjects) {
      const g = cells.filter((c) => c.layerId === r.layerId && c.roi === r.roi);
      const ref = hierarchicalBootstrap(
        g.map((c) => {
          const i = inputs().findIndex((x) => x.subject === c.subject && x.layerId === c.layerId && x.roi === c.roi);
          const stored = paired.get(`a${i}|b${i}|${c.roi}`) ?? paired.get(`b${i}|a${i}|${c.roi}`)!;
          return { difference: c.difference, replicates: stored.replicates!.map((v) => (i % 2 ? -v : v)) };
        }),
        { nResamples: 999 },
      )!;
      expect(r).toMatchObject({
        method: 'hierarchical-bootstrap',
        pMethod: 'hierarchical bootstrap over subjects then stimuli',
        note: null,
      });
      expect(r.p).toBe(ref.p);
      expect(r.minAttainableP).toBe(1 / 1000);
      expect(r.hierarchicalBootstrap).toEqual({
        lower: ref.lower,
        upper: ref.upper,
        se: ref.se,
        level: 0.95,
        nResamples: 999,
        seed: 0,
        subjectDraws: 256,
      });
      expect(r.signFlipP).toBe(acrossSubjectsTable(g).at(0)!.p);
    }
    // l1 wins in every subject by ~0.02 against stimulus noise 0.003: the smallest p; q is BH over the table's p
    expect(acrossSubjects[0].p).toBe(1 / 1000);
    const q = bhQValues(acrossSubjects.map((r) => r.p!));
    acrossSubjects.forEach((r, i) => {
      expect(r.q).toBeCloseTo(q[i], 14);
    });
    // without stored replicates: p null, and the note says why
    const bare = compareResultRows(rows, 'neurons', 'sae', 'bh', new Map(), undefined, across).acrossSubjects[0];
    expect(bare).toMatchObject({ p: null, hierarchicalBootstrap: null, signFlipP: 0.125 });
    expect(bare.note).toMatch(/no stored stimulus-bootstrap replicates for subj01, subj02, subj05, subj07/);
    // the default stays the exact sign-flip
    expect(compareResultRows(rows, 'neurons', 'sae', 'bh', paired).acrossSubjects[0]).toMatchObject({
      method: 'sign-flip',
      p: 0.125,
      hierarchicalBootstrap: null,
      note: null,
    });
  });

  it('across subjects: dz, agreement, exact sign-flip p and BH q equal scipy (test/fixtures/stats/gen_subjects.py)', () => {
    const ref = JSON.parse(readFileSync('test/fixtures/stats/subjects.json', 'utf8')) as {
      rows: {
        d: number[];
        n: number;
        mean: number;
        dz: number;
        wins: number;
        losses: number;
        ties: number;
        agreeing: number;
        signFlipP: number;
        minAttainableP: number;
        tP: number;
        q: number;
      }[];
    };
    // one table row per fixture row: subjects' cells whose fold differences are all d_s (difference = d_s)
    const cells = comparisonCells(
      ref.rows.flatMap((r, i) =>
        r.d.map((d, s) => ({
          subject: `s${s}`,
          layerId: `L${i}`,
          layerName: `l${i}`,
          roi: 'V1',
          aFolds: [0, 0],
          bFolds: [d, d],
        })),
      ),
    );
    const rows = acrossSubjectsTable(cells);
    expect(rows).toHaveLength(ref.rows.length);
    rows.forEach((row, i) => {
      const r = ref.rows[i];
      expect(row.nSubjects).toBe(r.n);
      expect(row.mean).toBeCloseTo(r.mean, 14);
      expect(row.dz!).toBeCloseTo(r.dz, 12);
      expect(row).toMatchObject({ wins: r.wins, losses: r.losses, ties: r.ties, agreeing: r.agreeing });
      expect(row.p!).toBeCloseTo(r.signFlipP, 14);
      expect(row.minAttainableP).toBe(r.minAttainableP);
      expect(row.nPermutations).toBe(2 ** r.n);
      expect(row.pMethod).toBe('exact sign-flip over subjects');
      expect(row.tP!).toBeCloseTo(r.tP, 12);
      expect(row.q!).toBeCloseTo(r.q, 14);
    });
  });

  it('pairs cells <layerId>:<representation> of two layers by subject and ROI, when they share stimuli and folds', () => {
    const rows: ResultRow[] = inputs().map((c) => ({
      subject: c.subject,
      layer: c.layerName,
      layerId: c.layerId,
      representation: 'neurons',
      saeId: null,
      roi: c.roi,
      foldValues: [...c.aFolds],
      normalised: null,
      runId: `${c.subject}-${c.layerId}`,
    }));
    const same = foldIdentity({ k: 2, nsdIds: [5, 3, 9, 1], folds: [0, 1, 0, 1] });
    const folds = new Map(rows.map((r) => [r.runId!, same]));
    const { cells, acrossSubjects } = compareResultRows(rows, 'id-l1:neurons', 'id-l2:neurons', 'bh', new Map(), folds);
    expect(cells).toHaveLength(8); // 4 subjects x 2 ROIs
    for (const c of cells) {
      const a = rows.find((r) => r.subject === c.subject && r.roi === c.roi && r.layerId === 'id-l1')!;
      const b = rows.find((r) => r.subject === c.subject && r.roi === c.roi && r.layerId === 'id-l2')!;
      expect(c).toMatchObject({ layerId: 'id-l1', layerName: 'l1', bLayerId: 'id-l2', bLayerName: 'l2' });
      expect(c.ci).toEqual(foldDifference(a.foldValues, b.foldValues)!.corrected);
    }
    expect(acrossSubjects.map((r) => `${r.layerName}-${r.bLayerName}/${r.roi}`)).toEqual(['l1-l2/V1v', 'l1-l2/FFA-1']);
    // the same stimuli in another row order are the same assignment
    folds.set('subj01-id-l2', foldIdentity({ k: 2, nsdIds: [1, 9, 3, 5], folds: [1, 0, 1, 0] }));
    expect(compareResultRows(rows, 'id-l1:neurons', 'id-l2:neurons', 'bh', new Map(), folds).cells).toHaveLength(8);
    folds.set('subj01-id-l2', foldIdentity({ k: 2, nsdIds: [5, 3, 9, 1], folds: [1, 0, 0, 1] }));
    expect(() => compareResultRows(rows, 'id-l1:neurons', 'id-l2:neurons', 'bh', new Map(), folds)).toThrow(
      /split the same 4 stimuli into different folds/,
    );
    folds.set('subj01-id-l2', foldIdentity({ k: 2, nsdIds: [5, 3, 9], folds: [0, 1, 0] }));
    expect(() => compareResultRows(rows, 'id-l1:neurons', 'id-l2:neurons', 'bh', new Map(), folds)).toThrow(
      /different stimuli \(4 and 3 images\)/,
    );
    folds.set('subj01-id-l2', null);
    expect(() => compareResultRows(rows, 'id-l1:neurons', 'id-l2:neurons', 'bh', new Map(), folds)).toThrow(
      /has no stored fold assignment/,
    );
    // a cell against a whole representation, or an unknown layer: SelectorError naming the field
    expect(() => compareResultRows(rows, 'neurons', 'id-l2:neurons')).toThrow(/name both that way/);
    expect(() => compareResultRows(rows, 'id-l1:neurons', 'nope:neurons')).toThrow(/no results of layer nope/);
    expect(() => compareResultRows(rows, 'id-l1:neurons', 'id-l2:sae')).toThrow(/"sae" of layer id-l2/);
  });
});
