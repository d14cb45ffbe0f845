/** Resolving manifest paths against a dataset root, confined to the configured data roots. */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { DataValidationError } from '../errors';

/** Real path of `p`, or of its nearest existing ancestor joined with the missing tail (for files not yet present). */
export function realpathLenient(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(realpathLenient(parent), path.basename(p));
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolve `relative` against `root` and check that the result, with symlinks resolved, lies inside
 * one of `allowedRoots` (also symlink-resolved). Absolute `relative` paths are accepted only if they
 * pass the same check. Returns the resolved real path.
 * @throws DataValidationError (field = `field`, default "path") when the path escapes every allowed root.
 */
export function resolveDataPath(
  root: string,
  relative: string,
  allowedRoots: readonly string[],
  field = 'path',
): string {
  // Errors name the path as the client wrote it ("." alone would tell them nothing).
  const shown = relative === '.' ? root : relative;
  if (shown.includes('\0')) throw new DataValidationError(field, 'path contains a NUL byte');
  const joined = path.resolve(root, relative);
  const real = realpathLenient(joined);
  for (const allowed of allowedRoots) {
    if (isInside(real, realpathLenient(path.resolve(allowed)))) return real;
  }
  throw new DataValidationError(field, `"${shown}" resolves outside the allowed data roots`);
}

/** Values substituted into `{name}` placeholders of manifest path templates. */
export type TemplateValues = Record<string, string>;

/**
 * Fill `{name}` placeholders of a path template. Unknown placeholders raise a DataValidationError
 * naming `field`, so a typo in a manifest is reported instead of producing a path that never exists.
 */
export function fillTemplate(template: string, values: TemplateValues, field: string): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new DataValidationError(field, `unknown placeholder {${name}} in "${template}"`);
    return v;
  });
}

/** Subject id as NSD writes it: 1 -> "subj01". */
export function subjectName(subject: number): string {
  return `subj${String(subject).padStart(2, '0')}`;
}

/** Session number as NSD writes it in file names: 1 -> "01". */
export function sessionName(session: number): string {
  return String(session).padStart(2, '0');
}
