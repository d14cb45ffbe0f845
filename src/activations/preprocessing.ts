/**
 * Preprocessing a layer declares at registration and every consumer of its activations sees (alignment runs,
 * comparisons, SAE training and encoding): the authors clamp CNN activations at 0 before any metric and before
 * SAE training (align-interp dnn_acts_utils.py get_img_acts: `torch.clamp(acts, min=0)` for CNN layers;
 * train_sae.py `--relu`). Stored with the layer, applied where its file is read (services/inputs.ts).
 */
import type { DenseMatrix } from '../compute/matrix';

export interface LayerPreprocessing {
  /** 'relu': every negative activation becomes 0. */
  clamp?: 'relu';
}

/** The stored column back to a LayerPreprocessing (null: none). */
export function layerPreprocessingOf(stored: unknown): LayerPreprocessing | null {
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return null;
  const p = stored as LayerPreprocessing;
  return p.clamp === 'relu' ? { clamp: 'relu' } : null;
}

/** Apply `p` to X (activations as read from the layer's file, owned by the caller). */
export function applyLayerPreprocessingInPlace(
  X: DenseMatrix<Float32Array>,
  p: LayerPreprocessing | null,
): DenseMatrix<Float32Array> {
  if (p?.clamp === 'relu') {
    const d = X.data;
    for (let i = 0; i < d.length; i++) if (!(d[i] > 0)) d[i] = 0;
  }
  return X;
}
