import { describe, expect, it } from 'vitest';
import { featureImportance, sampleFeatures } from '../../src/toy/data';
import { runToySuperposition, type ToySuperpositionResult } from '../../src/toy/experiment';
import { Rng } from '../../src/compute/random';

describe('toy data', () => {
  it('importance (1 + 2i/64)^-2 and activity probability', () => {
    const imp = featureImportance(64);
    expect(imp[0]).toBe(1);
    expect(imp[1]).toBeCloseTo(1 / (1 + 2 / 64) ** 2, 7);
    expect(imp[63]).toBeCloseTo(1 / (1 + 126 / 64) ** 2, 7);
    const x = sampleFeatures(new Rng(1), 20000, 64, 0.1);
    let active = 0;
    let sum = 0;
    for (const v of x) if (v !== 0) (active++, (sum += v), expect(v).toBeLessThan(1));
    expect(active / x.length).toBeGreaterThan(0.097);
    expect(active / x.length).toBeLessThan(0.103);
    expect(sum / active).toBeCloseTo(0.5, 2);
  });
});

describe('toy superposition experiment (reduced: 1,000 model steps, 600k samples, SAE lr 1e-2)', () => {
  let result: ToySuperpositionResult;

  it(
    'SAE latents align across seeds better than neurons and sit closer to the ground-truth features',
    async () => {
      result = await runToySuperposition({
        hiddenSizes: [16, 32],
        modelSteps: 1000,
        samples: 600_000,
        ridge: false,
        sae: { lr: 1e-2 },
      });
      expect(result.results.map((r) => r.nHidden)).toEqual([16, 32]);
      for (const r of result.results) {
        // The paper's finding: soft-matching between SAE latents clearly above that between neurons.
        expect(r.saeLatents.softMatching.mean).toBeGreaterThan(r.neurons.softMatching.mean + 0.05);
        expect(r.saeLatents.semiMatching.mean).toBeGreaterThan(r.neurons.semiMatching.mean);
        for (const m of [0, 1]) {
          expect(r.groundTruth.saeLatents.meanBestAbsCorr[m]).toBeGreaterThan(r.groundTruth.neurons.meanBestAbsCorr[m]);
        }
        // Sanity of the pieces.
        expect(r.neurons.softMatching.foldScores.length).toBe(5);
        expect(r.neurons.softMatching.droppedSource).toBe(0);
        for (const s of r.sae) {
          expect(s.meanL0).toBeLessThanOrEqual(7);
          expect(s.fvu).toBeLessThan(0.3);
        }
        expect(r.overlap.perFeature.length).toBe(64);
        expect(r.overlap.shared).toBe(r.overlap.perFeature.filter((v) => v >= 1).length);
        expect(r.neurons.ridge).toBeUndefined();
      }
      // More hidden neurons: the models represent more features.
      expect(result.results[1].overlap.shared).toBeGreaterThan(result.results[0].overlap.shared);
    },
    300_000,
  );
});
