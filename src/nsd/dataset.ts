/**
 * A registered dataset: manifest + root + allowed roots. Resolves manifest templates to confined paths and
 * discovers the subjects and sessions present on disk.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

import { DataValidationError } from '../errors';
import { parseNsdManifest, type BetasFormat, type NsdManifest } from './manifest';
import { fillTemplate, resolveDataPath, sessionName, subjectName, type TemplateValues } from './paths';

export interface NsdDataset {
  manifest: NsdManifest;
  /** Dataset root (manifest paths are relative to it). */
  root: string;
  /** Folders the dataset may read from; every resolved path must lie inside one (symlinks resolved). */
  allowedRoots: readonly string[];
}

/**
 * Build a dataset handle from a manifest (object or parsed JSON) and its root.
 * @throws DataValidationError for a bad manifest or a root outside the allowed roots (field "root").
 */
export function openNsdDataset(manifest: unknown, root: string, allowedRoots: readonly string[]): NsdDataset {
  const m = parseNsdManifest(manifest);
  const realRoot = resolveDataPath(root, '.', allowedRoots, 'root');
  if (!existsSync(realRoot)) throw new DataValidationError('root', `dataset root ${root} does not exist`);
  return { manifest: m, root: realRoot, allowedRoots };
}

/**
 * Read a manifest JSON file (itself confined to the allowed roots). A relative `file` is read from
 * `base` (the dataset root); errors name `field` and the path as given.
 */
export function readManifestFile(
  file: string,
  allowedRoots: readonly string[],
  opts: { base?: string; field?: string } = {},
): unknown {
  const field = opts.field ?? 'manifest';
  const real = resolveDataPath(opts.base ?? file, opts.base ? file : '.', allowedRoots, field);
  let text: string;
  try {
    text = readFileSync(real, 'utf8');
  } catch (e) {
    throw new DataValidationError(
      field,
      `cannot read manifest "${file}" (${(e as NodeJS.ErrnoException).code ?? 'read error'})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text; errors never echo file contents.
    throw new DataValidationError(field, `manifest "${file}" is not valid JSON`);
  }
}

function baseValues(ds: NsdDataset): TemplateValues {
  return { space: ds.manifest.space, version: ds.manifest.betas.version };
}

/**
 * Resolve a manifest template for the given values to a confined absolute path.
 * @param field manifest field named in errors, e.g. "manifest.atlases[0].file".
 */
export function datasetPath(ds: NsdDataset, template: string, values: TemplateValues, field: string): string {
  const rel = fillTemplate(template, { ...baseValues(ds), ...values }, field);
  return resolveDataPath(ds.root, rel, ds.allowedRoots, field);
}

/** The betas template of a format, or a DataValidationError naming manifest.betas.<format>. */
export function betasTemplate(ds: NsdDataset, format: BetasFormat = ds.manifest.betas.format): string {
  const t = ds.manifest.betas[format];
  if (!t) throw new DataValidationError(`manifest.betas.${format}`, `dataset has no ${format} betas`);
  return t;
}

/** Path of one session's betas file. */
export function betasPath(
  ds: NsdDataset,
  subject: number,
  session: number,
  format: BetasFormat = ds.manifest.betas.format,
): string {
  return datasetPath(
    ds,
    betasTemplate(ds, format),
    { subject: subjectName(subject), session: sessionName(session) },
    `manifest.betas.${format}`,
  );
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Values of placeholder `key` for which the directory entry named by the template segment exists:
 * fills everything before that segment, lists the folder, and matches names against the segment.
 */
function listPlaceholder(
  ds: NsdDataset,
  template: string,
  key: string,
  values: TemplateValues,
  valueRe: string,
  field: string,
): string[] {
  const segs = template.split('/');
  const at = segs.findIndex((s) => s.includes(`{${key}}`));
  if (at < 0) return [];
  const dirRel = segs.slice(0, at).join('/') || '.';
  const dir = datasetPath(ds, dirRel, values, field);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const all = { ...baseValues(ds), ...values };
  const pattern = segs[at]
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const m = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (!m) return escapeRe(part);
      if (m[1] === key) return `(${valueRe})`;
      const v = all[m[1]];
      if (v === undefined) throw new DataValidationError(field, `unknown placeholder {${m[1]}} in "${template}"`);
      return escapeRe(v);
    })
    .join('');
  const re = new RegExp(`^${pattern}$`);
  return names.map((n) => re.exec(n)?.[1]).filter((v): v is string => v !== undefined);
}

/** Sessions with a betas file of `format` on disk for a subject (or the manifest's list), ascending. */
export function discoverSessions(
  ds: NsdDataset,
  subject: number,
  format: BetasFormat = ds.manifest.betas.format,
): number[] {
  const field = `manifest.betas.${format}`;
  const tpl = betasTemplate(ds, format);
  if (ds.manifest.sessions) return ds.manifest.sessions.filter((s) => existsSync(betasPath(ds, subject, s, format)));
  const found = listPlaceholder(ds, tpl, 'session', { subject: subjectName(subject) }, '\\d+', field).map(Number);
  return [...new Set(found)].filter((s) => s >= 1).sort((a, b) => a - b);
}

/** Subjects with at least one betas session on disk (or the manifest's list, filtered the same way), ascending. */
export function discoverSubjects(ds: NsdDataset, format: BetasFormat = ds.manifest.betas.format): number[] {
  const tpl = betasTemplate(ds, format);
  const candidates =
    ds.manifest.subjects ??
    listPlaceholder(ds, tpl, 'subject', {}, 'subj\\d+', `manifest.betas.${format}`).map((s) => Number(s.slice(4)));
  return [...new Set(candidates)].filter((s) => discoverSessions(ds, s, format).length > 0).sort((a, b) => a - b);
}

/** Path of an atlas volume; hemi '' (bilateral), 'lh' or 'rh'. */
export function atlasPath(ds: NsdDataset, atlasName: string, subject: number, hemi: '' | 'lh' | 'rh' = ''): string {
  const i = ds.manifest.atlases.findIndex((a) => a.name === atlasName);
  if (i < 0) throw new DataValidationError('roi.atlas', `dataset has no atlas "${atlasName}"`);
  return datasetPath(
    ds,
    ds.manifest.atlases[i].file,
    { subject: subjectName(subject), hemi: hemi ? `${hemi}.` : '' },
    `manifest.atlases[${i}].file`,
  );
}

/** Path of the stimulus table. */
export function stimuliPath(ds: NsdDataset): string {
  return datasetPath(ds, ds.manifest.stimuli, {}, 'manifest.stimuli');
}
