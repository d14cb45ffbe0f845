/** The data layer's typed errors are the domain's (src/errors.ts); re-exported for its readers. */
export { AbortedError, DataValidationError, throwIfAborted } from '../errors';
