/** Public API for layer activations and their stimulus ids. */
export { readActivations, type ReadActivationsOptions } from './load';
export { readStimulusIds, type ReadIdsOptions } from './stimulus-ids';
export { alignActivationsToStimuli, type AlignedActivations, type AlignOptions } from './align';
export { DataValidationError } from '../errors';
