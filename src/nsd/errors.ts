/**
 * Typed error for every bad-input case in the data layer. The HTTP layer maps it to a 400
 * problem+json naming `field` (a path such as "manifest.atlases[0].file" or "roi.labels").
 */
export class DataValidationError extends Error {
  override name = 'DataValidationError';
  /** Where the problem is, as a path into the input (manifest, request or file). */
  readonly field: string;
  /** Why it is a problem, in words meant for the user. */
  readonly reason: string;

  constructor(field: string, reason: string, options?: { cause?: unknown }) {
    super(`${field}: ${reason}`, options);
    this.field = field;
    this.reason = reason;
  }
}

/** Thrown when an AbortSignal fires during a long read. */
export class LoadAbortedError extends Error {
  override name = 'LoadAbortedError';
  constructor() {
    super('load aborted');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LoadAbortedError();
}
