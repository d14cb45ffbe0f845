import { scoreMatrix } from '../../services/score-matrices';
import { HEADLINE_METHOD } from '../../services/paired-comparisons';
import { listScores, SCORE_SORTS } from '../../services/scores';
import type { AppContext } from '../context';
import { cachedJson } from '../response-cache';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { page, PageQuery, UuidSchema } from '../schemas/common';
import { BASELINE_DESCRIPTION, N_STIMULI_DESCRIPTION } from '../schemas/results';

export const ScoreItemSchema = z
  .object({
    id: z.string(),
    runId: UuidSchema,
    kind: z.enum(['alignment', 'comparison']),
    datasetId: UuidSchema.nullable(),
    modelId: UuidSchema.nullable(),
    layerId: UuidSchema.nullable(),
    layerName: z.string().nullable(),
    representation: z.string(),
    saeId: UuidSchema.nullable(),
    preset: z.string().openapi({ description: 'Preset (alignment) or metric (comparison)' }),
    subject: z.string().nullable(),
    atlas: z.string().nullable(),
    roi: z.string(),
    value: z.number(),
    sem: z.number().nullable(),
    foldValues: z.array(z.number()),
    nVoxels: z.number().int().nullable(),
    alphas: z.array(z.number()),
    noiseCeiling: z.number().nullable(),
    normalised: z.number().nullable(),
    baseline: z.number().nullable().openapi({ description: BASELINE_DESCRIPTION }),
    nStimuli: z.number().int().nullable().openapi({ description: N_STIMULI_DESCRIPTION }),
    createdAt: z.string().datetime(),
  })
  .openapi('ScoreItem');

export const ScoresQuery = PageQuery.extend({
  modelId: UuidSchema.optional(),
  layerId: UuidSchema.optional(),
  datasetId: UuidSchema.optional(),
  representation: z.enum(['neurons', 'sae']).optional(),
  saeId: UuidSchema.optional(),
  subject: z.string().optional().openapi({ example: 'subj01' }),
  atlas: z.string().optional().openapi({ example: 'prf-visualrois' }),
  roi: z.string().optional().openapi({ example: 'V1v' }),
  preset: z.string().optional().openapi({ example: 'paper' }),
  kind: z.enum(['alignment', 'comparison']).optional(),
  sort: z.enum(SCORE_SORTS).default('-createdAt'),
});

export const MatrixQuery = z.object({
  modelId: UuidSchema,
  subject: z.string().openapi({ example: 'subj01' }),
  atlas: z.string().openapi({ example: 'prf-visualrois' }),
  datasetId: UuidSchema.optional(),
  preset: z.string().default('paper'),
  representation: z
    .enum(['neurons', 'sae', 'difference'])
    .default('neurons')
    .openapi({ description: 'neurons, sae, or difference = sae - neurons (paired by fold)' }),
  saeId: UuidSchema.optional().openapi({
    description: 'Restrict SAE scores to one SAE (default: the newest score per layer and ROI)',
  }),
});

const Grid = z.array(z.array(z.number().nullable()));

export const MatrixSchema = z
  .object({
    modelId: UuidSchema,
    subject: z.string(),
    atlas: z.string(),
    preset: z.string(),
    representation: z.enum(['neurons', 'sae', 'difference']),
    layers: z.array(z.object({ id: UuidSchema, name: z.string(), position: z.number().int() })),
    rois: z.array(z.string()),
    values: z
      .array(z.array(z.number().nullable()))
      .openapi({ description: 'values[layer][roi]; null where no score exists' }),
    sem: z
      .array(z.array(z.number().nullable()))
      .openapi({ description: 'SEM across folds; for the difference, of the per-fold differences' }),
    baseline: Grid.optional().openapi({
      description: `neurons and sae only: baseline[layer][roi], ${BASELINE_DESCRIPTION.replace(/^S/, 's')} (the same for every representation of a subject's ROI: it depends on the targets and folds only, so the difference has none)`,
    }),
    lower: Grid.optional().openapi({
      description:
        'difference only: lower end of the 95% corrected resampled t interval (Nadeau-Bengio: variance factor 1/K + n_test/n_train over the per-fold differences, df K - 1, the variance of each repeat averaged over folds.repeats; folds share training data)',
    }),
    upper: Grid.optional().openapi({ description: 'difference only: upper end of that interval' }),
    p: Grid.optional().openapi({
      description: 'difference only: two-sided corrected resampled t-test of the per-fold differences',
    }),
    interval: z
      .array(z.array(z.enum([HEADLINE_METHOD]).nullable()))
      .optional()
      .openapi({ description: 'difference only: the method of lower, upper and p per cell' }),
    q: Grid.optional().openapi({
      description: 'difference only: Benjamini-Hochberg q-values of p across the non-null cells of this matrix',
    }),
    conditionalBootstrapLower: Grid.optional().openapi({
      description:
        'difference only: stimulus bootstrap interval (lower end) where a study job stored one for these runs; conditional on the fitted models (ignores refitting variability), not the headline',
    }),
    conditionalBootstrapUpper: Grid.optional().openapi({ description: 'difference only: its upper end' }),
    conditionalPermutationP: Grid.optional().openapi({
      description:
        'difference only: sign-flip permutation p over stimuli where stored; conditional on the fitted models, not the headline',
    }),
  })
  .openapi('ScoreMatrix');

type ScoreRow = Awaited<ReturnType<typeof listScores>>['items'][number];

function scoreItemJson(r: ScoreRow): z.infer<typeof ScoreItemSchema> {
  return {
    id: String(r.id),
    runId: r.runId,
    kind: r.kind,
    datasetId: r.datasetId,
    modelId: r.modelId,
    layerId: r.layerId,
    layerName: r.layerName,
    representation: r.representation,
    saeId: r.saeId,
    preset: r.method,
    subject: r.subject,
    atlas: r.atlas,
    roi: r.target,
    value: r.value,
    sem: r.sem,
    foldValues: r.foldValues,
    nVoxels: r.nVoxels,
    alphas: r.alphas,
    noiseCeiling: r.noiseCeiling,
    normalised: r.normalised,
    baseline: r.baseline,
    nStimuli: r.nStimuli,
    createdAt: r.createdAt.toISOString(),
  };
}

export function scoreRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/scores',
      operationId: 'listScores',
      summary: 'Scores filtered by model, layer, representation, subject, atlas, ROI and preset',
      tags: ['scores'],
      access: 'read',
      query: ScoresQuery,
      responses: { 200: { description: 'A page of scores', schema: page(ScoreItemSchema).openapi('ScorePage') } },
      handler: async ({ query: q, req }) =>
        cachedJson(ctx.cache, req, async () => {
          const { items, total } = await listScores(ctx.prisma, q);
          return { items: items.map(scoreItemJson), total, limit: q.limit, offset: q.offset };
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/scores/matrix',
      operationId: 'getScoreMatrix',
      summary:
        'Layer x ROI matrix for one model, subject, atlas and representation (or SAE minus neurons), ready to chart',
      tags: ['scores'],
      access: 'read',
      query: MatrixQuery,
      responses: { 200: { description: 'The matrix', schema: MatrixSchema } },
      problems: [404],
      handler: async ({ query: q, req }) => cachedJson(ctx.cache, req, () => scoreMatrix(ctx.prisma, q)),
    }),
  ];
}
