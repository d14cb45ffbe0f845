/**
 * Request identity: two requests are the same request exactly when their canonical forms are equal.
 * The canonical form is JSON with the keys of every object sorted, at every depth; arrays keep their
 * order (callers sort the arrays whose order carries no meaning, such as ROI names, before hashing).
 * `JSON.stringify(value, keyList)` is not a canonical form: its key list filters nested objects too,
 * which once made `folds` and `noiseCeiling` hash as `{}` and served old runs for new requests.
 */
import { createHash } from 'node:crypto';

/** JSON text of `value` with object keys sorted at every depth; `undefined` members are left out, as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** sha256 (hex) of the canonical form of `{kind, ...inputs}`: the key under which a request's result is stored. */
export function requestHash(kind: string, inputs: object): string {
  return createHash('sha256').update(canonicalJson({ kind, inputs })).digest('hex');
}
