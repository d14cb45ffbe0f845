/**
 * Ridge regression for brain alignment: exact efficient LOO for every alpha from one decomposition per fold
 * (ridge-loo.md), the science.md presets, and the cross-validated driver.
 */
export {
  fitRidgeCv,
  fitRidgeCvGroups,
  predictFromBasis,
  normaliseByNoiseCeiling,
  roiSummary,
  csrSelectColumns,
} from './cv';
export type {
  RidgeCvOptions,
  RidgeCvResult,
  RidgeFoldResult,
  RidgeCvTimings,
  RidgeCvGroupsResult,
  TargetGroup,
} from './cv';
export { ridgeBasis, ridgeDecomposition, ridgeProjection, EIG_REL_TOL } from './basis';
export type { RidgeBasis, RidgeDecomposition } from './basis';
export { looSharedAlpha, looPerTargetAlpha } from './loo';
export { looDenominators, LOO_DENOM_TOL } from './loo-parts';
export { looSharedAlphaGroups, groupSearchCost } from './loo-groups';
export type { PerTargetAlphaResult } from './loo';
export type { LooOptions, SharedAlphaResult } from './loo-parts';
export {
  DEFAULT_MIN_NOISE_CEILING,
  PAPER_ALPHAS,
  PRESETS,
  RIDGE_PRESETS,
  noiseCeilingError,
  nonDefaultScore,
  presetScoreError,
  resolveScore,
  scoreMethod,
  csrRowLayerNorm,
  foldSources,
  foldTargets,
  globalSource,
  globalTargets,
} from './presets';
export type { RidgePreset, RidgeScore, PresetSpec } from './presets';
export type { Source, DenseSource, SparseSource, Precision } from './source';
