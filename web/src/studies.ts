/** The study resource (GET/POST/DELETE /v1/studies, issue 11) as the dashboard reads it. */
import { ApiError, get, type Matrix, type Model } from './api';
import type { StudyResultRow } from '../../src/services/study-rows';

/** A result row exactly as the service writes it (src/services/study-rows.ts). */
export type StudyRow = StudyResultRow;

export interface Study {
  id: string;
  name: string | null;
  state: string;
  createdAt: string;
  inputs: {
    datasetId: string;
    subjects: string[];
    layerIds: string[];
    rois: { name: string }[];
    preset: string;
    folds: unknown;
  };
  progress: {
    done: number;
    total: number;
    failed: number;
    cancelled: number;
    running: { subject: string; layerId: string; representation: string; stage: string | null; fraction: number }[];
  };
  cells: {
    runId: string;
    jobId: string | null;
    subject: string;
    layerId: string;
    representation: string;
    status: string;
    error: string | null;
  }[];
  results: StudyRow[];
}

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

function sem(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
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
    return { layers: layers.map((l) => ({ id: l.id, name: l.name, position: l.position })), rois, values, sem: sems };
  };
  return { matrices: [build('neurons'), build('sae'), build('difference')], runs };
}
