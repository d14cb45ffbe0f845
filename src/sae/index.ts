/**
 * TopK sparse autoencoder library (no HTTP, no database).
 *   train:   trainTopKSae(X, settings, { onProgress, signal })      -> { sae, settings, curves, metrics, ... }
 *   encode:  encodeSparse(sae, X, { batchSize, signal })            -> CsrMatrix n x m (positive latents only)
 *   metrics: evaluateSae(sae, X)                                    -> { fvu, meanL0, deadShare, rows }
 *   files:   saveSae / loadSae / serialiseSae / deserialiseSae       (own .safetensors format)
 *            importSae(bytes, options) / importSaeFile(path, options) (.safetensors or .npz, math or torch layout)
 *   errors:  SaeValidationError { field, reason } -> HTTP 400; SaeAbortError (name "AbortError") -> cancelled
 */
export { encodeSparse, type EncodeOptions } from './encode';
export { isAbortError, SaeAbortError, SaeValidationError } from './errors';
export { importSae, importSaeFile, SAE_FORMAT, type SaeImportOptions } from './import';
export { deserialiseSae, loadSae, saveSae, serialiseSae } from './io';
export { evaluateSae, type EvaluateOptions, type SaeMetrics } from './metrics';
export {
  DEFAULT_PREPROCESSING,
  preprocessRows,
  validateSae,
  type SaePreprocessing,
  type SaeWeights,
  type TopKSae,
} from './model';
export {
  resolveTrainSettings,
  SaePreprocessingSchema,
  SaeTrainSettingsSchema,
  type ResolvedSaeTrainSettings,
  type SaeTrainSettingsInput,
} from './settings';
export { initialSaeWeights, untrainedTwin } from './untrained';
export {
  splitRows,
  trainTopKSae,
  type SaeCurvePoint,
  type SaeTrainOptions,
  type SaeTrainProgress,
  type SaeTrainResult,
} from './train';
