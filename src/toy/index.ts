/** Toy model of superposition experiment (science.md). */
export { runToySuperposition, DEFAULT_TOY_OPTIONS } from './experiment';
export type { ToySuperpositionOptions, ToySuperpositionResult, ToyHiddenSizeResult, ToyProgress, CvSummary, SaeReport, GroundTruthReport } from './experiment';
export { trainToyModel, hiddenActivations } from './model';
export type { ToyModel, ToyModelOptions } from './model';
export { ToySaeTrainer, encodeToySae } from './sae';
export type { ToySaeOptions, ToySaeWeights } from './sae';
export { featureImportance, sampleFeatures } from './data';
export { AdamW } from './adamw';
