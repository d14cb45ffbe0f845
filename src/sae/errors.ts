/**
 * Typed errors of the SAE library. SaeValidationError is a DataValidationError whose `field` names the
 * offending setting or tensor (e.g. "k", "W_enc"); cancellation is the domain's AbortedError.
 */
import { DataValidationError } from '../errors';

export { AbortedError as SaeAbortError, isAbortError, throwIfAborted } from '../errors';

export class SaeValidationError extends DataValidationError {
  override name = 'SaeValidationError';
}
