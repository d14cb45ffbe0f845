/** The study resource (GET/POST/DELETE /v1/studies, issue 11) as the dashboard reads it. */
import { ApiError, get, type Matrix, type Model } from './api';
import { nanSem } from '../../src/compute/stats/sem';
import type { Study, StudyComparisons } from './api-types';

/** The study resource exactly as the service writes it. */
export type { Study };

/** Whether this service has studies (they arrive with issue 11; before that, the pages submit alignments). */
export async function haveStudies(signal?: AbortSignal): Promise<boolean> {
  try {
    await get('/v1/studies?limit=1', signal);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

/** The SEM of the per-fold differences, by the service's own function (null below two folds). */
function sem(xs: number[]): number | null {
  const s = nanSem(xs);
  return Number.isNaN(s) ? null : s;
}

/**
 * A study's results as the three layer x ROI matrices of one model and subject (neurons, SAE, and
 * SAE - neurons with the sem of the per-fold differences, as /v1/scores/matrix computes it).
 */
export function studyMatrices(
  study: Study,
  model: Model,
  subject: string,
): { matrices: Matrix[]; runs: Map<string, string> } {
  const layers = model.layers.filter((l) => study.inputs.layerIds.includes(l.id));
  const rois = study.inputs.rois.map((r) => r.name);
  const rows = study.results.filter((r) => r.subject === subject);
  const cell = new Map(rows.map((r) => [`${r.layerId}|${r.representation}|${r.roi}`, r]));
  const runs = new Map(rows.map((r) => [`${r.layerId}|${r.representation}|${r.roi}`, r.runId]));
  const build = (rep: string): Matrix => {
    const values = layers.map((l) =>
      rois.map((roi) => {
        if (rep !== 'difference') return cell.get(`${l.id}|${rep}|${roi}`)?.value ?? null;
        const n = cell.get(`${l.id}|neurons|${roi}`);
        const s = cell.get(`${l.id}|sae|${roi}`);
        return n && s ? s.value - n.value : null;
      }),
    );
    const sems = layers.map((l) =>
      rois.map((roi) => {
        if (rep !== 'difference') return cell.get(`${l.id}|${rep}|${roi}`)?.sem ?? null;
        const n = cell.get(`${l.id}|neurons|${roi}`);
        const s = cell.get(`${l.id}|sae|${roi}`);
        return n && s && n.foldValues.length === s.foldValues.length
          ? sem(s.foldValues.map((v, k) => v - n.foldValues[k]))
          : null;
      }),
    );
    const baseline =
      rep === 'difference'
        ? undefined
        : layers.map((l) => rois.map((roi) => cell.get(`${l.id}|${rep}|${roi}`)?.baseline ?? null));
    return {
      layers: layers.map((l) => ({ id: l.id, name: l.name, position: l.position })),
      rois,
      values,
      sem: sems,
      ...(baseline ? { baseline } : {}),
    };
  };
  return { matrices: [build('neurons'), build('sae'), build('difference')], runs };
}

/**
 * The SAE - neurons matrix with the service's statistics per cell (GET /v1/studies/{id}/comparisons?a=neurons&b=sae):
 * for one subject the corrected resampled t interval, p and BH q over the table's cells (as the scores page marks
 * them); for the mean over subjects (subject null) the across-subjects rows (Student-t interval, sign-flip p, BH q).
 */
export function withComparison(diff: Matrix, cmp: StudyComparisons, subject: string | null): Matrix {
  type Stat = { lower: number | null; upper: number | null; p: number | null; q: number | null };
  const stat = new Map<string, Stat>();
  if (subject === null) for (const r of cmp.acrossSubjects) stat.set(`${r.layerId}|${r.roi}`, r);
  else
    for (const c of cmp.cells.filter((x) => x.subject === subject && x.layerId === x.bLayerId))
      stat.set(`${c.layerId}|${c.roi}`, { lower: c.ci.lower, upper: c.ci.upper, p: c.p, q: c.q });
  const grid = (k: keyof Stat) =>
    diff.layers.map((l) => diff.rois.map((roi) => stat.get(`${l.id}|${roi}`)?.[k] ?? null));
  return { ...diff, lower: grid('lower'), upper: grid('upper'), p: grid('p'), q: grid('q') };
}

/** The method the study's scores are filed under (preset[:score], or metric[-whole-set]), as runs store it. */
export function studyMethod(inputs: Study['inputs']): string {
  const i = inputs as { preset: string; score?: string; metric?: string; cv?: boolean };
  if (i.metric && i.metric !== 'ridge') return i.cv === false ? `${i.metric}-whole-set` : i.metric;
  return i.score ? `${i.preset}:${i.score}` : i.preset;
}
