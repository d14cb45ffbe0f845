/** Response shapes for runs and scores (shared by runs.ts, scores.ts and the comparison routes). */
import { z } from '../openapi-registry';
import { UuidSchema } from './common';

export const RunStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).openapi('RunStatus');

/** What a score's `baseline` is, for every response that carries one. */
export const BASELINE_DESCRIPTION =
  "Score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it";

/** What a score's `nStimuli` is, for every response that carries one. */
export const N_STIMULI_DESCRIPTION =
  "Stimuli the score was computed on: the images both the layer and the subject's betas have (comparisons: both layers), over all folds. Null for scores stored before it";

export const RoiScoreSchema = z
  .object({
    roi: z.string().openapi({ description: 'ROI name (alignment) or target description (comparison)' }),
    value: z.number().openapi({ description: 'Mean over folds of the fold score' }),
    sem: z
      .number()
      .nullable()
      .openapi({ description: 'Standard error of the mean across folds (sd with ddof=1 / sqrt(K))' }),
    median: z.number().nullable().openapi({ description: 'Median over voxels of the voxel scores (encoding preset)' }),
    foldValues: z.array(z.number()),
    nVoxels: z.number().int().nullable(),
    alphas: z
      .array(z.number())
      .openapi({ description: 'Chosen alpha per fold (paper presets), or per-voxel median per fold (encoding)' }),
    noiseCeiling: z
      .number()
      .nullable()
      .openapi({ description: 'Mean noise ceiling of the ROI voxels (percent of explainable variance)' }),
    normalised: z.number().nullable().openapi({
      description:
        "Mean over the ROI's voxels with NC >= minPercent of r|r| / (NC/100) (a mean of per-voxel ratios, not a ratio of means); null where the ceiling does not describe the scores (paper presets, cosine, other metrics)",
    }),
    keptShare: z.number().nullable().openapi({ description: 'Share of voxels kept by the minimum noise ceiling' }),
    baseline: z.number().nullable().openapi({ description: BASELINE_DESCRIPTION }),
    nStimuli: z.number().int().nullable().openapi({ description: N_STIMULI_DESCRIPTION }),
  })
  .openapi('RoiScore');

export const RunSchema = z
  .object({
    id: UuidSchema,
    kind: z.enum(['alignment', 'comparison']),
    status: RunStatusSchema,
    method: z.string().openapi({ description: 'Ridge preset (RidgePreset) or comparison metric' }),
    inputs: z.record(z.string(), z.unknown()),
    datasetId: UuidSchema.nullable(),
    subject: z.string().nullable(),
    atlas: z.string().nullable(),
    layerId: UuidSchema.nullable(),
    representation: z.string(),
    saeId: UuidSchema.nullable(),
    targetLayerId: UuidSchema.nullable(),
    targetRepresentation: z.string().nullable(),
    backend: z.string().nullable(),
    versions: z.record(z.string(), z.unknown()).nullable(),
    timings: z.record(z.string(), z.number()).nullable(),
    error: z.string().nullable(),
    jobId: UuidSchema.nullable(),
    attempts: z.number().int(),
    createdAt: z.string().datetime(),
    startedAt: z.string().datetime().nullable(),
    finishedAt: z.string().datetime().nullable(),
    scores: z.array(RoiScoreSchema),
  })
  .openapi('Run');

export type RunJson = z.infer<typeof RunSchema>;

type ScoreRow = {
  target: string;
  value: number;
  sem: number | null;
  median: number | null;
  foldValues: number[];
  nVoxels: number | null;
  alphas: number[];
  noiseCeiling: number | null;
  normalised: number | null;
  keptShare: number | null;
  baseline: number | null;
  nStimuli: number | null;
};

export function roiScoreJson(s: ScoreRow): z.infer<typeof RoiScoreSchema> {
  return {
    roi: s.target,
    value: s.value,
    sem: s.sem,
    median: s.median,
    foldValues: s.foldValues,
    nVoxels: s.nVoxels,
    alphas: s.alphas,
    noiseCeiling: s.noiseCeiling,
    normalised: s.normalised,
    keptShare: s.keptShare,
    baseline: s.baseline,
    nStimuli: s.nStimuli,
  };
}

type RunRow = {
  id: string;
  kind: 'alignment' | 'comparison';
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  method: string;
  inputs: unknown;
  datasetId: string | null;
  subject: string | null;
  atlas: string | null;
  layerId: string | null;
  representation: string;
  saeId: string | null;
  targetLayerId: string | null;
  targetRepresentation: string | null;
  backend: string | null;
  versions: unknown;
  timings: unknown;
  error: string | null;
  jobId: string | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  scores?: ScoreRow[];
};

export function runJson(r: RunRow): RunJson {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    method: r.method,
    inputs: (r.inputs ?? {}) as Record<string, unknown>,
    datasetId: r.datasetId,
    subject: r.subject,
    atlas: r.atlas,
    layerId: r.layerId,
    representation: r.representation,
    saeId: r.saeId,
    targetLayerId: r.targetLayerId,
    targetRepresentation: r.targetRepresentation,
    backend: r.backend,
    versions: (r.versions ?? null) as Record<string, unknown> | null,
    timings: (r.timings ?? null) as Record<string, number> | null,
    error: r.error,
    jobId: r.jobId,
    attempts: r.attempts,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    scores: (r.scores ?? []).map(roiScoreJson),
  };
}
