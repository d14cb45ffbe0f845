/** Activations reuse the data layer's typed error so the HTTP layer maps both the same way. */
export { DataValidationError } from '../nsd/errors';
