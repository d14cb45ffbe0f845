/** Model-to-model / model-to-brain metrics (science.md): per-fold kernels and the cross-validated driver. */
export { columnDot, crossProduct, denseSubmatrix, standardiseColumnsInPlace, centreColumnsInPlace } from './columns';
export type { ProductPrecision } from './columns';
export { semiMatchingFold, softMatchingFold } from './matching';
export type { FoldData, MatchingOptions } from './matching';
export { linearCka, pearson, rsaScore } from './similarity';
export {
  crossValidateMatching,
  crossValidateMetric,
  foldMetric,
  meanAndSem,
  METRIC_NAMES,
  wholeSetMetric,
} from './cross-validate';
export type { CrossValidatedScore, CrossValidateOptions, FoldMetric, MetricName } from './cross-validate';
export { METRIC_CONSTANT_BASELINE } from './registry';
