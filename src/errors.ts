/**
 * Domain errors: thrown by services and by the data, SAE and compute rooms, and mapped to problem+json in
 * one place (src/http/error-mapping.ts). They carry the failing fields and reasons and know nothing of HTTP.
 */

export interface FieldError {
  /** Where the problem is: "body.folds.k", "query.limit", "params.id", "manifest.atlases[0].file". */
  field: string;
  reason: string;
}

/** The request itself is invalid (HTTP: 400 /problems/validation). */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.reason}`).join('; '));
  }

  static of(field: string, reason: string): ValidationError {
    return new ValidationError([{ field, reason }]);
  }
}

/**
 * Data that a request refers to is invalid: a manifest, an activations file, SAE weights (HTTP: 400
 * /problems/invalid-data, or /problems/path-outside-roots for a path outside the configured data roots).
 */
export class DataValidationError extends Error {
  override name = 'DataValidationError';
  constructor(
    /** Where the problem is, as a path into the input (manifest, request or file). */
    readonly field: string,
    /** Why it is a problem, in words meant for the user. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
  }
}

/**
 * A stored artefact (an uploaded layer file, SAE weights) is missing from the artefact store or its bytes do not
 * match the hash in its key (HTTP: 500 /problems/artefact-unavailable; a job fails with this message). Names the
 * artefact by its key and where it was needed, never by its path on this machine.
 */
export class ArtefactError extends Error {
  override name = 'ArtefactError';
  constructor(
    /** Where the artefact was needed: "layer.activations", "sae.weights". */
    readonly field: string,
    /** The store key: "sha256:<hex>.npy". */
    readonly key: string,
    readonly problem: 'missing' | 'corrupt',
    /** Why, in words meant for the operator. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
  }
}

/** A resource named by the request does not exist (HTTP: 404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  /** With an id: "<what> <id> does not exist"; without: `what` is the whole message (a file, not a row). */
  constructor(what: string, id?: string) {
    super(id === undefined ? what : `${what} ${id} does not exist`);
  }
}

/** The request conflicts with the resource's current state (HTTP: 409); `errors` name the fields at fault. */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

/** One unit of work (a study's subject x layer, or an alignment run) and its estimated peak memory. */
export interface UnitMemory {
  subject: string;
  layerId: string;
  layer: string;
  /** The unit's representations ("neurons", "sae <id>", ...). */
  representations: string[];
  estimateMiB: number;
  budgetMiB: number;
}

/**
 * A request whose units would not fit in a worker's memory (HTTP: 422 /problems/memory-budget): `units` are the
 * units over the budget, `field` where the request names their layer ("body.layerIds[0]").
 */
export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';
  constructor(
    readonly units: (UnitMemory & { field: string })[],
    /** Where the budget comes from (ALIGN_WORKER_MEMORY_MB, or its default from the machine). */
    readonly setting: string,
  ) {
    const u = units[0];
    super(
      `unit ${u.subject} x layer "${u.layer}" (${u.representations.join(', ')}) needs about ${u.estimateMiB} MiB, over the worker memory budget of ${u.budgetMiB} MiB (${setting})${units.length > 1 ? `; ${units.length - 1} more unit(s) over it` : ''}`,
    );
  }
}

/** A long operation was cancelled through its AbortSignal. Named "AbortError" like the DOM's. */
export class AbortedError extends Error {
  override name = 'AbortError';
  constructor(reason?: unknown) {
    super(
      typeof reason === 'string' ? reason : 'operation aborted',
      reason === undefined ? undefined : { cause: reason },
    );
  }
}

/** True for AbortedError and any other error named "AbortError" (the DOMException of signal.throwIfAborted()). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The one check that long loops make between steps. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason);
}
