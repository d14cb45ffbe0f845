/** Toy model of superposition experiment (science.md; align-interp toy_models.py as the authors ran it). */
export { runToySuperposition, DEFAULT_TOY_OPTIONS } from './experiment';
export type {
  ToySuperpositionOptions,
  ToySuperpositionResult,
  ToyHiddenSizeResult,
  ToyProgress,
  CvSummary,
  SaeReport,
  GroundTruthReport,
  ToySaeOptions,
} from './experiment';
export { trainToyModel, hiddenActivations, initToyModel, toyModelGradients } from './model';
export type { ToyModel, ToyModelOptions } from './model';
export { featureImportance, generateToyData, denseRows } from './data';
export type { ToyDataset } from './data';
export { featureOverlap, perFeatureMax, perUnitBestAbs, unitFeatureCorrelation } from './stats';
