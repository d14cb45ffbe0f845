/**
 * A subject's stimuli: the images it saw (0-based nsdId, the `nsdId` column of nsd_stim_info_merged.csv and the row
 * of nsd_stimuli.hdf5; NOT the 1-based 73k id of nsd_expdesign.mat) with presentation counts and shared-1000 flags,
 * their pictures as PNG, and how many of a layer's stimuli a subject saw (the floor runs and studies must reach).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { type FieldError, NotFoundError } from '../errors';
import { readStimulusIds } from '../activations/stimulus-ids';
import { encodePng } from '../io/png';
import { stimuliPath } from '../nsd/dataset';
import { readStimulusTable, type SubjectStimuli, subjectStimuli } from '../nsd/stimuli';
import { openDatasetStimuli } from '../nsd/stimulus-images';
import { layerFile } from './artefacts';
import { openDataset, subjectNumber } from './inputs';
import type { Page } from './models';

// Parsing NSD's stimulus table (73k rows) takes a while: keep the last few subjects' image lists, keyed by the
// table file's mtime so that a replaced file is read again.
const cache = new Map<string, SubjectStimuli>();
const CACHE_ENTRIES = 16;

async function subjectRow(prisma: Db, datasetId: string, subject: string) {
  const row = await prisma.subject.findFirst({ where: { datasetId, label: subject }, select: { sessions: true } });
  if (row) return row;
  if (!(await prisma.dataset.count({ where: { id: datasetId } }))) throw new NotFoundError('dataset', datasetId);
  throw new NotFoundError('subject', subject);
}

/**
 * The images `subject` (a label like subj01) saw in its registered sessions, ascending nsdId.
 * @throws NotFoundError for an unknown dataset or subject.
 */
export async function loadSubjectStimuli(
  prisma: Db,
  config: Config,
  datasetId: string,
  subject: string,
): Promise<SubjectStimuli> {
  const { sessions } = await subjectRow(prisma, datasetId, subject);
  const ds = await openDataset(prisma, config, datasetId);
  const file = stimuliPath(ds);
  const key = `${datasetId}/${subject}/${sessions.join(',')}/${statSync(file, { throwIfNoEntry: false })?.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const table = readStimulusTable(file, 'manifest.stimuli');
  const value = subjectStimuli(
    table,
    subjectNumber(subject),
    sessions,
    ds.manifest.trialsPerSession,
    'manifest.stimuli',
  );
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

export interface StimulusRow {
  nsdId: number;
  shared1000: boolean;
  presentations: number;
}

/** A page of a subject's stimuli (ascending nsdId), optionally only the shared 1000 or only the others. */
export async function listSubjectStimuli(
  prisma: Db,
  config: Config,
  datasetId: string,
  subject: string,
  page: Page & { shared1000?: boolean },
): Promise<{ items: StimulusRow[]; total: number }> {
  const s = await loadSubjectStimuli(prisma, config, datasetId, subject);
  let rows = Array.from(s.nsdIds.keys());
  if (page.shared1000 !== undefined) rows = rows.filter((i) => (s.shared1000[i] === 1) === page.shared1000);
  const items = rows.slice(page.offset, page.offset + page.limit).map((i) => ({
    nsdId: s.nsdIds[i],
    shared1000: s.shared1000[i] === 1,
    presentations: s.presentations[i],
  }));
  return { items, total: rows.length };
}

/**
 * One image the subject saw, as PNG, with a strong ETag (the image's pixels' hash).
 * @throws NotFoundError for an unknown dataset or subject, an image the subject did not see, or no image file.
 */
export async function stimulusImagePng(
  prisma: Db,
  config: Config,
  datasetId: string,
  subject: string,
  nsdId: number,
): Promise<{ png: Buffer; etag: string }> {
  const s = await loadSubjectStimuli(prisma, config, datasetId, subject);
  if (!binaryHas(s.nsdIds, nsdId)) throw new NotFoundError(`${subject} saw no image with nsdId ${nsdId}`);
  const brick = await openDatasetStimuli(await openDataset(prisma, config, datasetId));
  try {
    const img = brick.read([nsdId]);
    const png = encodePng(img.data, img.width, img.height, img.channels as 1 | 3);
    return { png, etag: `"${createHash('sha1').update(img.data).digest('base64url')}"` };
  } finally {
    brick.close();
  }
}

function binaryHas(sorted: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === v) return true;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** How many of `ids` (a layer's stimulus ids) are among the subject's images. */
export function overlapCount(subjectIds: Int32Array, ids: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (binaryHas(subjectIds, ids[i])) n++;
  return n;
}

/** Stimuli a run must share with its subject unless the request lowers the floor (minStimuli). */
export const DEFAULT_MIN_STIMULI = 50;

/**
 * Field errors for every (subject, layer) whose layer shares fewer than `minStimuli` images with what the subject saw,
 * naming both counts (a layer whose ids are 1-based 73k ids, or from another subject, shows here, not as a score
 * on ten images). Layer ids are read from their files (checked against the roots / the store as at run time).
 */
export async function stimulusFloorErrors(
  prisma: Db,
  config: Config,
  req: { datasetId: string; subjects: string[]; layerIds: string[]; minStimuli: number },
): Promise<FieldError[]> {
  const layers = await prisma.layer.findMany({
    where: { id: { in: req.layerIds } },
    select: { id: true, name: true, stimulusIdsPath: true, stimulusIdsDataset: true },
  });
  const errors: FieldError[] = [];
  for (const layer of layers) {
    const file = await layerFile(layer.stimulusIdsPath, config, 'layer.stimulusIds');
    const ids = await readStimulusIds(file, {
      dataset: layer.stimulusIdsDataset ?? undefined,
      field: 'layer.stimulusIds',
    });
    for (const subject of req.subjects) {
      const seen = (await loadSubjectStimuli(prisma, config, req.datasetId, subject)).nsdIds;
      const shared = overlapCount(seen, ids);
      if (shared < req.minStimuli)
        errors.push({
          field: `body.layerIds[${req.layerIds.indexOf(layer.id)}]`,
          reason: `layer "${layer.name}" shares ${shared} stimuli with ${subject} (the layer has ${ids.length} ids, ${subject} saw ${seen.length} images; ids are 0-based nsdIds, GET /v1/datasets/${req.datasetId}/subjects/${subject}/stimuli lists them); minStimuli is ${req.minStimuli}`,
        });
    }
  }
  return errors;
}
