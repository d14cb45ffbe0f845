/**
 * POST /v1/alignments: one run per layer, each a job. Everything the request names is checked before
 * any row is written (services/alignment-requests.ts); an identical request returns the existing runs
 * (re-queued if they failed or were cancelled) instead of computing twice. The request schemas here are
 * shared by studies and comparisons.
 */
import { BRAIN_METRICS } from '../../compute/metrics/registry';
import { DEFAULT_MIN_NOISE_CEILING, RIDGE_PRESETS } from '../../compute/ridge/presets';
import { createAlignmentRuns } from '../../services/alignment-requests';
import { MAX_FOLD_REPEATS } from '../../services/folds';
import { DEFAULT_MIN_STIMULI } from '../../services/stimuli';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { UuidSchema } from '../schemas/common';
import { RunStatusSchema } from '../schemas/results';

const FoldRepeatsSchema = z.number().int().min(1).max(MAX_FOLD_REPEATS).optional().openapi({
  description:
    'Repeated K-fold (default 1): repeat r splits with KFold(k, shuffle=True, random_state=seed + r) in the same order; every run stores all k x repeats fold values; the corrected resampled t averages the corrected variance of each repeat, df k - 1 (calibrated: bench/results/stats-calibration.md). Ridge alignments and studies only; an explicit assignment is one split (repeats 1)',
});

export const FoldsSpecSchema = z
  .union([
    z
      .object({
        k: z.number().int().min(2).max(100).default(5),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .default(0),
        order: z.enum(['nsdId', 'activations', 'subject']).optional().openapi({
          description:
            "Order KFold shuffles: 'nsdId' (default; the images in ascending nsdId), 'activations' (the layer's activation rows in file order) or 'subject' (the subject's images in the order NSD first showed them, as the authors' code: with k 5 and seed 42 it reproduces their folds; alignments and studies only)",
        }),
        repeats: FoldRepeatsSchema,
      })
      .strict(),
    z
      .object({
        assignment: z
          .record(z.string().regex(/^\d+$/, 'keys are nsdIds'), z.number().int().min(0).max(99))
          .refine((m) => Object.keys(m).length >= 4, 'give a fold for at least 4 images')
          .openapi({
            description: 'nsdId -> fold (0-based); the run evaluates exactly these images',
            example: { '2950': 0, '2990': 1 },
          }),
        repeats: FoldRepeatsSchema,
      })
      .strict(),
  ])
  .openapi('FoldsSpec', {
    description:
      '{k, seed, order?, repeats?}: scikit-learn KFold(n_splits=k, shuffle=True, random_state=seed) over the images in ascending nsdId order (or in activation-file order); or an explicit assignment',
  });

export const RidgePresetSchema = z.enum(RIDGE_PRESETS).openapi('RidgePreset', {
  description:
    "'paper' (row LN, cosine: the authors' code at 96006be), 'paper-centred' (its Pearson variant), 'encoding' (z-scored columns, intercept, per-voxel alpha), 'centred-own-means' (the authors' code before arXiv v1: columns centred, each part with its own means), 'unit-norm-columns' (the authors' latest code: columns centred and scaled to unit norm, each part with its own statistics)",
});

export const RidgeScoreSchema = z.enum(['cosine', 'pearson']).openapi('RidgeScore', {
  description:
    "Fold score per voxel over the test images; default: the preset's ('paper': cosine, the others: pearson). Only 'paper' and 'paper-centred' accept the other one",
});

export const RepresentationSchema = z
  .union([
    z.literal('neurons'),
    z.literal('sae'),
    z.literal('random-sae'),
    z.object({ saeId: UuidSchema }).strict(),
    z.object({ randomSaeOf: UuidSchema }).strict(),
  ])
  .openapi('Representation', {
    description:
      '"neurons"; "sae" = the newest ready SAE of each layer; {saeId} = that SAE (its own layer); "random-sae" / {randomSaeOf: saeId} = the untrained twin of a trained SAE (same d, latents, k, preprocessing, seed and initialisation): the control every SAE gain is read against',
  });

export const BrainMetricSchema = z.enum(BRAIN_METRICS).openapi('BrainMetric', {
  description:
    'ridge (the preset decides the rest); rsa (RDM = 1 - Pearson r between stimulus patterns, Pearson r between RDMs), semi-matching (per voxel the best unit on the training folds, scored by Pearson r on the test fold), soft-matching (optimal transport on the training Pearson matrix): units against the ROI voxels over the same folds',
});

export const RoiUnionSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .regex(/^[^/]+$/, 'no "/" in a name'),
    members: z
      .array(z.string().min(1))
      .min(1)
      .max(100)
      .openapi({ description: 'Labels (not groups); the ROI is their union' }),
  })
  .strict()
  .openapi('RoiUnion', {
    description: 'A union of labels declared inline',
    example: { name: 'FFA', members: ['floc-faces/FFA-1', 'floc-faces/FFA-2'] },
  });

export const CreateAlignmentSchema = z
  .object({
    datasetId: UuidSchema,
    subject: z.union([z.string().regex(/^subj\d{2}$/), z.number().int().min(1).max(99)]).openapi({ example: 'subj01' }),
    atlas: z.string().min(1).openapi({ example: 'prf-visualrois' }),
    rois: z
      .array(z.union([z.string().min(1), RoiUnionSchema]))
      .min(1)
      .optional()
      .openapi({
        description:
          'ROI names of the atlas ("V1v", or "lh.V1v"/"rh.V1v" for one hemisphere) or unions {name, members}; default: every ROI of the atlas with voxels',
      }),
    layerIds: z.array(UuidSchema).min(1).max(200).openapi({ description: 'One run per layer' }),
    representation: RepresentationSchema.default('neurons'),
    preset: RidgePresetSchema.default('paper'),
    score: RidgeScoreSchema.optional(),
    alphas: z
      .array(z.number().positive())
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'Ridge alphas (default 10^-8..10^8, 17 values)' }),
    folds: FoldsSpecSchema.default({ k: 5, seed: 0 }),
    noiseCeiling: z
      .object({
        minPercent: z
          .number()
          .min(0)
          .max(100)
          .optional()
          .openapi({
            description: `Voxels with NC below it are left out of the normalised ROI aggregate (default ${DEFAULT_MIN_NOISE_CEILING}: ncsnr ~0.2 over 3 trials; 0 keeps every NC > 0)`,
          }),
      })
      .strict()
      .optional()
      .openapi({
        description: `Noise-ceiling normalisation (NSD ncsnr ceiling, Allen et al. 2022), per voxel r|r| / (NC/100); the ROI's normalised value is the mean of these per-voxel ratios over its voxels with NC >= minPercent (not a ratio of means), with keptShare the share of voxels kept. Ridge runs whose targets the ceiling describes (presets encoding, centred-own-means, unit-norm-columns: Pearson r of the betas up to per-voxel affine maps) are normalised with minPercent ${DEFAULT_MIN_NOISE_CEILING} when this is absent. Asking for it with paper or paper-centred (targets layer-normed across the ROI's voxels, which the ceiling does not describe), a cosine score or another metric is a 400.`,
      }),
    metric: BrainMetricSchema.default('ridge'),
    cv: z.boolean().default(true).openapi({
      description:
        'rsa: true = per test fold (mean and sem over folds); false = once over all evaluated stimuli, as the authors compute their brain RSA',
    }),
    minStimuli: z
      .number()
      .int()
      .min(1)
      .max(73000)
      .optional()
      .openapi({
        description: `Refuse (400, naming the counts) a subject x layer whose layer shares fewer stimuli (0-based nsdIds) with the images the subject saw; default ${DEFAULT_MIN_STIMULI}. Only admits the request: not part of what the run stores`,
      }),
    ridgeWeights: z.boolean().default(false).openapi({
      description:
        'Keep per ROI the mean |beta| per source unit, per fold (GET /v1/runs/{id}/weights); costs about one more prediction per fold and ROI',
    }),
  })
  .strict()
  .openapi('CreateAlignment');

export const AlignmentAcceptedSchema = z
  .object({
    runs: z.array(
      z.object({
        id: UuidSchema,
        layerId: UuidSchema,
        saeId: UuidSchema.nullable(),
        status: RunStatusSchema,
        jobId: UuidSchema.nullable(),
        reused: z.boolean().openapi({ description: 'An identical request already existed' }),
        links: z.object({ run: z.string(), job: z.string().nullable(), events: z.string().nullable() }),
      }),
    ),
  })
  .openapi('AlignmentAccepted');

export function alignmentRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/alignments',
      operationId: 'createAlignment',
      summary: 'Fit a layer (neurons or SAE latents) to the ROIs of one subject: one run and one job per layer',
      tags: ['runs'],
      access: 'write',
      body: CreateAlignmentSchema,
      // An explicit assignment of all 73k NSD images is about 1 MB of JSON.
      bodyLimits: { 'application/json': 8 * 1024 * 1024 },
      responses: { 202: { description: 'Runs queued (or reused)', schema: AlignmentAcceptedSchema } },
      problems: [422, 503],
      handler: async ({ body }) => {
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        const runs = await createAlignmentRuns(ctx.prisma, ctx.config, ctx.jobs, body);
        return { status: 202, body: { runs }, headers: { Location: runs[0].links.run } };
      },
    }),
  ];
}
