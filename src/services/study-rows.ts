/**
 * One row of a study's tidy results (GET /v1/studies/{id}): one subject x layer x representation x ROI. Its own
 * file, free of server imports, so that the dashboard (web/) reads the same type the service writes.
 */
import type { LayerPreprocessing } from '../activations/preprocessing';

/** How the SAE of a selecting cell was chosen per outer fold (representations: {selectSae: 'inner-cv', ...}). */
export interface SaeSelectionResult {
  method: 'inner-cv';
  candidates: string[];
  innerFolds: number;
  innerSeed: number;
  criterion: string;
  /** Per outer fold: the SAE whose fit predicted that fold's test stimuli, and every candidate's inner score. */
  folds: { fold: number; saeId: string; innerScores: Record<string, number | null> }[];
}

export interface StudyResultRow {
  subject: string;
  model: string;
  layer: string;
  layerId: string;
  representation: string;
  saeId: string | null;
  roi: string;
  atlas: string | null;
  value: number;
  sem: number | null;
  foldValues: number[];
  alphas: number[];
  nVoxels: number | null;
  /** Stimuli the score was computed on (Score.nStimuli; null for scores stored before it). */
  nStimuli: number | null;
  noiseCeiling: number | null;
  normalised: number | null;
  /** The score of each target's training-mean prediction under the same score and folds (Score.baseline). */
  baseline: number | null;
  runId: string;
  /** The layer's preprocessing (null: none). */
  preprocessing: LayerPreprocessing | null;
  /**
   * SAE rows: 'fixed' (one SAE named or chosen before the study, the same in every fold) or the inner-CV choice
   * per outer fold; null for neurons.
   */
  saeSelection: 'fixed' | SaeSelectionResult | null;
}
