/** Public API for layer activations and their stimulus ids. */
export { readActivations, type ReadActivationsOptions } from './load';
export { readStimulusIds, type ReadIdsOptions } from './stimulus-ids';
export {
  alignActivationsToStimuli,
  joinStimulusIds,
  type AlignedActivations,
  type AlignOptions,
  type StimulusJoin,
} from './align';
export { DataValidationError } from '../errors';
