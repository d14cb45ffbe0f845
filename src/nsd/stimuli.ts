/**
 * NSD stimulus table (nsd_stim_info_merged.csv): per subject, global trial (1-based) -> nsdId through the
 * subject{S}_rep{0,1,2} columns (0 = not shown); shared1000 flags.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from '../io/csv';
import { DataValidationError } from '../errors';

export interface StimulusTable {
  /** nsdId of each row (0-based, 0..72999). */
  nsdIds: Int32Array;
  /** 1 where the row is one of the 1000 shared images. */
  shared1000: Uint8Array;
  /** cocoId per row (NaN when absent). */
  cocoIds: Float64Array;
  /** Column name -> column values (strings), for the rep columns and anything else. */
  columns: Map<string, string[]>;
  /** Subjects that have rep columns in this table. */
  subjects: number[];
}

const NSD_IMAGES = 73000;

/**
 * Parse the stimulus table text. Requires an `nsdId` column; `shared1000` is optional (defaults to 0).
 * @throws DataValidationError (field) for a missing nsdId column, bad or duplicate nsdIds.
 */
export function parseStimulusTable(text: string, field = 'stimuli'): StimulusTable {
  const rows = parseCsv(text).filter((r) => r.length > 1 || (r.length === 1 && r[0] !== ''));
  if (rows.length < 1) throw new DataValidationError(field, 'stimulus table is empty');
  const header = rows[0].map((h) => h.trim());
  const body = rows.slice(1);
  const col = (name: string): string[] | undefined => {
    const j = header.indexOf(name);
    return j < 0 ? undefined : body.map((r) => (r[j] ?? '').trim());
  };
  const nsdCol = col('nsdId');
  if (!nsdCol) throw new DataValidationError(field, 'stimulus table has no nsdId column');
  const nsdIds = new Int32Array(body.length);
  const seen = new Set<number>();
  nsdCol.forEach((s, i) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0 || v >= NSD_IMAGES)
      throw new DataValidationError(field, `row ${i + 1}: nsdId is not an integer in 0..${NSD_IMAGES - 1}`);
    if (seen.has(v)) throw new DataValidationError(field, `row ${i + 1}: duplicate nsdId ${v}`);
    seen.add(v);
    nsdIds[i] = v;
  });
  const sharedCol = col('shared1000');
  const shared1000 = new Uint8Array(body.length);
  if (sharedCol)
    sharedCol.forEach((s, i) => {
      shared1000[i] = s === 'True' || s === 'true' || s === '1' ? 1 : 0;
    });
  const cocoCol = col('cocoId');
  const cocoIds = new Float64Array(body.length).fill(NaN);
  if (cocoCol)
    cocoCol.forEach((s, i) => {
      cocoIds[i] = s === '' ? NaN : Number(s);
    });
  const columns = new Map<string, string[]>();
  header.forEach((h, j) => {
    columns.set(
      h,
      body.map((r) => (r[j] ?? '').trim()),
    );
  });
  const subjects = [
    ...new Set(
      header
        .map((h) => /^subject(\d+)_rep0$/.exec(h)?.[1])
        .filter((s): s is string => !!s)
        .map(Number),
    ),
  ].sort((a, b) => a - b);
  return { nsdIds, shared1000, cocoIds, columns, subjects };
}

/** Read and parse a stimulus table file. */
export function readStimulusTable(file: string, field = 'stimuli'): StimulusTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataValidationError(
      field,
      `cannot read stimulus table (${(e as NodeJS.ErrnoException).code ?? 'read error'})`,
    );
  }
  return parseStimulusTable(text, field);
}

/**
 * Global trial -> nsdId for one subject: an Int32Array indexed by (trial - 1), -1 where no image is recorded.
 * Length = the largest trial number present.
 * @throws DataValidationError when the subject's rep columns are missing or two images claim one trial.
 */
export function subjectTrialImages(table: StimulusTable, subject: number, field = 'stimuli'): Int32Array {
  const reps: string[][] = [];
  for (let r = 0; r < 3; r++) {
    const c = table.columns.get(`subject${subject}_rep${r}`);
    if (!c) throw new DataValidationError(field, `stimulus table has no column subject${subject}_rep${r}`);
    reps.push(c);
  }
  let maxTrial = 0;
  const trials: number[][] = reps.map((c) =>
    c.map((s, i) => {
      const v = s === '' ? 0 : Number(s);
      if (!Number.isInteger(v) || v < 0)
        throw new DataValidationError(
          field,
          `row ${i + 1}: subject${subject} trial "${s}" is not a non-negative integer`,
        );
      if (v > maxTrial) maxTrial = v;
      return v;
    }),
  );
  const out = new Int32Array(maxTrial).fill(-1);
  for (const col of trials) {
    col.forEach((g, i) => {
      if (g === 0) return;
      if (out[g - 1] !== -1)
        throw new DataValidationError(
          field,
          `subject${subject} trial ${g} is claimed by nsdIds ${out[g - 1]} and ${table.nsdIds[i]}`,
        );
      out[g - 1] = table.nsdIds[i];
    });
  }
  return out;
}

/** Session (1-based) and 0-based trial within it for a 1-based global trial number. */
export function trialLocation(globalTrial: number, trialsPerSession = 750): { session: number; trial: number } {
  return { session: Math.ceil(globalTrial / trialsPerSession), trial: (globalTrial - 1) % trialsPerSession };
}

/** A subject's images: ascending 0-based nsdIds, with their presentation counts and shared-1000 flags. */
export interface SubjectStimuli {
  nsdIds: Int32Array;
  /** Trials that showed each image in the sessions counted (1..3 in NSD). */
  presentations: Uint8Array;
  shared1000: Uint8Array;
}

/**
 * The images a subject saw in `sessions` (1-based; global trial g is in session ceil(g / trialsPerSession)), as the
 * betas loader counts them: images with at least one trial there.
 */
export function subjectStimuli(
  table: StimulusTable,
  subject: number,
  sessions: readonly number[],
  trialsPerSession: number,
  field = 'stimuli',
): SubjectStimuli {
  const trialImages = subjectTrialImages(table, subject, field);
  const counts = new Map<number, number>();
  for (const s of sessions)
    for (let g = (s - 1) * trialsPerSession; g < s * trialsPerSession && g < trialImages.length; g++)
      if (trialImages[g] >= 0) counts.set(trialImages[g], (counts.get(trialImages[g]) ?? 0) + 1);
  const nsdIds = Int32Array.from(counts.keys()).sort();
  const row = new Map(Array.from(table.nsdIds, (id, i) => [id, i]));
  return {
    nsdIds,
    presentations: Uint8Array.from(nsdIds, (id) => counts.get(id)!),
    shared1000: Uint8Array.from(nsdIds, (id) => table.shared1000[row.get(id)!]),
  };
}
