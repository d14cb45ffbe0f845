/**
 * The untrained twin of a trained SAE (issue 12 item 10; the authors' "Rand SAE" control): same input width,
 * latents, k and preprocessing, with the weights its training run started from (same seed and initialisation,
 * zero biases), so every SAE gain can be read against an SAE of the same architecture that never saw the data.
 */
import { Rng } from '../compute/random';
import { initTopKSaeWeights, type SaeWeights, type TopKSae } from './model';
import type { ResolvedSaeTrainSettings } from './settings';

export type InitSettings = Pick<ResolvedSaeTrainSettings, 'latents' | 'seed'> &
  Partial<Pick<ResolvedSaeTrainSettings, 'init' | 'decoderNorm'>>;

/** The weights a training run with these settings starts from (train.ts uses this). */
export function initialSaeWeights(d: number, s: InitSettings): SaeWeights {
  return initTopKSaeWeights(d, s.latents, new Rng(s.seed), s.init ?? 'kaiming-uniform', s.decoderNorm ?? 'none');
}

/**
 * The SAE `sae` was before its first training step, from its stored (resolved) training settings.
 * @throws RangeError when the settings do not describe `sae` (latents differ).
 */
export function untrainedTwin(sae: TopKSae, settings: InitSettings): TopKSae {
  if (settings.latents !== sae.latentDim)
    throw new RangeError(`settings give ${settings.latents} latents, the SAE has ${sae.latentDim}`);
  return {
    inputDim: sae.inputDim,
    latentDim: sae.latentDim,
    k: sae.k,
    preprocessing: { ...sae.preprocessing },
    weights: initialSaeWeights(sae.inputDim, settings),
    metadata: { ...sae.metadata, control: 'untrained (initialisation of the same seed)' },
  };
}
