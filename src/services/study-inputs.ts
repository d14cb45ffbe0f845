/**
 * What a study is: its request, the inputs it stores (the request with every name resolved, as the grid of cells
 * its runs are) and the paired statistics its unit jobs compute. Creating one: studies.ts; reading: study-views.ts;
 * its unit jobs: study-units.ts.
 */
import type { LayerPreprocessing } from '../activations/preprocessing';
import type { RidgePreset, RidgeScore } from '../compute/ridge/presets';
import type { GridAlignmentRequest } from './alignment-requests';
import type { AlignmentCell, AlignmentInputs } from './alignments';
import type { FoldsSpec } from './folds';
import type { ResolvedRoi } from './rois';

export interface StudyRequest extends GridAlignmentRequest {
  name?: string;
  /** Paired statistics: bootstrap resamples, random sign flips, seed (defaults DEFAULT_STATISTICS). */
  statistics?: Partial<StudyStatistics>;
}

export interface StudyStatistics {
  resamples: number;
  permutations: number;
  /** Bootstrap seed of the first ROI; ROI i uses seed + i (each paired cell stores its own). */
  seed: number;
}

export const DEFAULT_STATISTICS: StudyStatistics = { resamples: 1000, permutations: 9999, seed: 0 };

/** What a study stores: the request with every name resolved. */
export interface StudyInputs {
  name: string | null;
  datasetId: string;
  subjects: string[];
  layerIds: string[];
  /** Preprocessing of the layers that have one (stored with the layer; every cell's run reports it). */
  layerPreprocessing?: Record<string, LayerPreprocessing>;
  cells: AlignmentCell[];
  rois: ResolvedRoi[];
  preset: RidgePreset;
  /** Fold score when not the preset's default. */
  score?: RidgeScore;
  alphas: number[];
  folds: FoldsSpec;
  noiseCeiling?: { minPercent: number };
  /** Absent: ridge, per fold (as before these options existed). */
  metric?: AlignmentInputs['metric'];
  cv?: false;
  /** Absent in studies stored before paired statistics (DEFAULT_STATISTICS then). */
  statistics?: StudyStatistics;
}

/** The pairs [a, b] (b - a) of a unit's representations that get paired cells: every pair, a the earlier (neurons first). */
export function unitPairs(reps: readonly unknown[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < reps.length; i++) for (let j = i + 1; j < reps.length; j++) out.push([i, j]);
  return out;
}
