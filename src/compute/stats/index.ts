/**
 * Statistics for paired comparisons of representations (typed arrays in and out; no HTTP, no database).
 * Distributions come from @stdlib through distributions.ts only.
 */
export { tCdf, tQuantile, normalCdf, signrankCdf } from './distributions';
export { nanSem } from './sem';
export { repeatedCorrectedT, tSummary } from './t-interval';
export type { TSummary } from './t-interval';
export { bhQValues, holmAdjusted } from './multiple';
export { signFlipTest, signFlipTests } from './sign-flip';
export type { SignFlipOptions, SignFlipResult } from './sign-flip';
export { wilcoxonSignedRank } from './wilcoxon';
export type { WilcoxonResult } from './wilcoxon';
export { bootstrapResamples, empiricalQuantile, percentileInterval } from './bootstrap';
export type { Resample, BootstrapInterval } from './bootstrap';
export {
  pairedCell,
  pairedCells,
  pairedCellRepeats,
  stimulusDifferences,
  testTrainRatio,
  PERMUTATION_SEED_SALT,
} from './paired';
export { bootstrapDifferences, bootstrapFoldScores, resampleDifferences } from './bootstrap-scores';
export type { HeldOutPredictions } from './bootstrap-scores';
export type { HeldOutFold, PairedCell, PairedCellOptions, ScoreKind } from './paired';
export { acrossSubjects, subjectSignFlip, MAX_EXACT_SUBJECTS } from './across-subjects';
export type { AcrossSubjects, SubjectSignFlip } from './across-subjects';
export {
  ridgeHeldOutFolds,
  ridgeHeldOutPredictions,
  pairedFitCell,
  pairedRoiCells,
  pairedRidgeRois,
  pairedGroupCells,
  pairedGroupCellsOfPairs,
} from './ridge-held-out';
export type { RoiTargets, PairedRidgeOptions } from './ridge-held-out';
export { hierarchicalBootstrap, hierarchicalDraws } from './hierarchical-bootstrap';
export type {
  HierarchicalBootstrap,
  HierarchicalBootstrapOptions,
  HierarchicalDraws,
  SubjectReplicates,
} from './hierarchical-bootstrap';
