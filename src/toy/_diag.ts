import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { initBackend } from '../compute/backend';
import { kFoldAssignment } from '../compute/folds';
import { crossValidateMetric } from '../compute/metrics/cross-validate';
import { Rng } from '../compute/random';
import { sampleFeatures } from './data';
import { hiddenActivations, trainToyModel, type ToyModel } from './model';
import { encodeToySae, ToySaeTrainer } from './sae';
await initBackend();
const N = Number(process.argv[2] ?? 16);
const steps = Number(process.argv[3] ?? 10000);
const variants = JSON.parse(process.argv[4] ?? '[{}]');
const cache = `/tmp/toy_models_${N}_${steps}.json`;
let models: ToyModel[];
if (existsSync(cache)) models = JSON.parse(readFileSync(cache, 'utf8')).map((m: any) => ({ ...m, W: Float32Array.from(m.W), b: Float32Array.from(m.b) }));
else {
  models = [1, 2].map((seed) => trainToyModel({ nFeatures: 64, nHidden: N, featureProb: 0.1, steps, batchSize: 1024, lr: 1e-3, weightDecay: 0.01, seed }));
  writeFileSync(cache, JSON.stringify(models.map((m) => ({ ...m, W: Array.from(m.W), b: Array.from(m.b) }))));
}
for (const v of variants) {
  const t = Date.now();
  const nTrain = v.train ?? 1 << 20;
  const nTest = v.test ?? 65536;
  const rng = new Rng(12345);
  const tr = [0, 1].map((m) => new ToySaeTrainer({ inputDim: N, latentDim: 64, k: v.k ?? 7, auxWeight: 0.1, lr: v.lr ?? 1e-3, weightDecay: v.wd ?? 0.01, seed: 7 + m, unitNormDecoder: v.unit, deadAfterSteps: v.dead }));
  for (let s = 0; s < nTrain / 1024; s++) {
    const x = sampleFeatures(rng, 1024, 64, 0.1);
    for (let m = 0; m < 2; m++) tr[m].step(hiddenActivations(models[m], x, 1024), 1024);
  }
  const x = sampleFeatures(rng, nTest, 64, 0.1);
  const H = models.map((m) => ({ rows: nTest, cols: N, data: hiddenActivations(m, x, nTest) }));
  const Z = tr.map((t, m) => encodeToySae(t.weights, H[m].data, nTest).z);
  const a = kFoldAssignment(nTest, 5, 0);
  const soft = (A: any, B: any) => crossValidateMetric('soft-matching', A, B, a).mean.toFixed(3);
  const semi = (A: any, B: any) => crossValidateMetric('semi-matching', A, B, a).mean.toFixed(3);
  // best |corr| with features
  const gt = (U: any) => {
    const r = crossValidateMetric((f) => 0, U, { rows: nTest, cols: 64, data: x }, a); // just for kept
    return r;
  };
  void gt;
  console.log(JSON.stringify(v), 'neurons soft', soft(H[0], H[1]), 'semi', semi(H[0], H[1]), '| sae soft', soft(Z[0], Z[1]), 'semi', semi(Z[0], Z[1]), ((Date.now() - t) / 1000).toFixed(0) + 's');
}
