/**
 * Typed errors of the SAE library. HTTP maps SaeValidationError to a 400 (problem+json) using
 * `field` and `reason`; jobs map SaeAbortError (name "AbortError") to a cancelled state.
 */

/** Bad settings, weights or inputs. `field` names the offending setting or tensor (e.g. "k", "W_enc"). */
export class SaeValidationError extends Error {
  override name = 'SaeValidationError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Thrown when an AbortSignal passed to a long SAE operation fires. `name` is "AbortError". */
export class SaeAbortError extends Error {
  override name = 'AbortError';
  constructor(reason?: unknown) {
    super(
      typeof reason === 'string' ? reason : 'SAE operation aborted',
      reason === undefined ? undefined : { cause: reason },
    );
  }
}

/** True for SaeAbortError and for any other error named "AbortError" (DOMException from signal.throwIfAborted()). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** Throw SaeAbortError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SaeAbortError(signal.reason);
}
