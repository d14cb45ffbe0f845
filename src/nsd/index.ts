/** Public API of the NSD data layer (pure library: no HTTP, no database). */
export { AbortedError, DataValidationError } from '../errors';
export { resolveDataPath, fillTemplate, subjectName, sessionName } from './paths';
export { DEFAULT_LABEL_TABLES, type LabelTable } from './labels';
export {
  nsdManifestSchema,
  atlasSchema,
  betasSchema,
  labelTableSchema,
  spaceSchema,
  betasFormatSchema,
  parseNsdManifest,
  atlasLabels,
  type NsdManifest,
  type NsdManifestInput,
  type AtlasSpec,
  type BetasFormat,
} from './manifest';
export {
  openNsdDataset,
  readManifestFile,
  datasetPath,
  betasPath,
  atlasPath,
  stimuliPath,
  discoverSubjects,
  discoverSessions,
  type NsdDataset,
} from './dataset';
export {
  validateDataset,
  type DatasetSummary,
  type SubjectSummary,
  type AtlasSummary,
  type RoiSummary,
} from './validate';
export { readNsdBetasSession, readBetasFileShape, type SessionBetas, type ReadSessionOptions } from './betas-session';
export {
  loadSubjectRoiBetas,
  sessionImages,
  subjectImageOrder,
  type SubjectRoiBetas,
  type LoadSubjectBetasOptions,
} from './subject-betas';
export { loadSubjectRoiData, type SubjectRoiData } from './roi-data';
export {
  loadRoiMask,
  readRoiVolume,
  resolveLabelValues,
  labelCounts,
  type RoiSelection,
  type RoiMask,
  type RoiVolume,
  type Hemisphere,
} from './rois';
export {
  readStimulusTable,
  parseStimulusTable,
  subjectTrialImages,
  trialLocation,
  type StimulusTable,
} from './stimuli';
export { noiseCeiling, meanInverseRepetitions } from './noise-ceiling';
export { loadNcsnr, loadBrainMask } from './volumes';
export { zscoreColumnsInPlace } from './zscore';
export { maskToIndices, indicesToCoords, type VolumeShape } from './voxels';
export { writeSyntheticNsd, syntheticManifest, type SyntheticNsdOptions, type SyntheticNsdResult } from './synthetic';
