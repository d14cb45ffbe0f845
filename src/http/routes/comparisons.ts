/**
 * Model-to-model comparisons: one metric between two layers (neurons or SAE latents), as a job; and the
 * layer-pair matrix between two models (the paper's seed-vs-seed figures).
 */
import { COMPARISON_METRICS } from '../../compute/metrics/registry';
import { createComparison } from '../../services/comparisons';
import type { AppContext } from '../context';
import { cachedJson } from '../response-cache';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { UuidSchema } from '../schemas/common';
import { BASELINE_DESCRIPTION, RunStatusSchema } from '../schemas/results';
import { comparisonMatrix } from '../../services/score-matrices';
import { FoldsSpecSchema, RepresentationSchema, RidgePresetSchema } from './alignments';

const Side = z
  .object({
    layerId: UuidSchema,
    representation: RepresentationSchema.default('neurons'),
  })
  .strict();

export const MetricSchema = z.enum(COMPARISON_METRICS).openapi('ComparisonMetric', {
  description:
    "cka-debiased: linear CKA from the unbiased HSIC (Song et al. 2012); the biased 'cka' is inflated when stimuli are few relative to units",
});

export const CreateComparisonSchema = z
  .object({
    source: Side,
    target: Side,
    metric: MetricSchema,
    preset: RidgePresetSchema.default('paper').openapi({ description: 'Ridge only' }),
    alphas: z.array(z.number().positive()).min(1).max(100).optional(),
    folds: FoldsSpecSchema.default({ k: 5, seed: 0 }),
    cv: z.boolean().default(true).openapi({
      description:
        'rsa, cka, cka-debiased: true = mean over the test folds (nothing is fitted); false = once over all stimuli the folds cover, as the authors compute RSA (no fold values, no sem)',
    }),
  })
  .strict()
  .openapi('CreateComparison');

export const ComparisonAcceptedSchema = z
  .object({
    id: UuidSchema,
    status: RunStatusSchema,
    jobId: UuidSchema.nullable(),
    reused: z.boolean(),
    links: z.object({ run: z.string(), job: z.string().nullable(), events: z.string().nullable() }),
  })
  .openapi('ComparisonAccepted');

export const ComparisonMatrixQuery = z.object({
  sourceModelId: UuidSchema,
  targetModelId: UuidSchema,
  metric: MetricSchema,
  representation: z
    .enum(['neurons', 'sae', 'random-sae'])
    .default('neurons')
    .openapi({ description: 'Representation on both sides' }),
  cv: z
    .enum(['true', 'false'])
    .default('true')
    .openapi({ description: 'rsa / cka: cross-validated runs (true) or runs over all stimuli (false)' }),
});

export const ComparisonMatrixSchema = z
  .object({
    metric: MetricSchema,
    representation: z.enum(['neurons', 'sae', 'random-sae']),
    sourceLayers: z.array(z.object({ id: UuidSchema, name: z.string() })),
    targetLayers: z.array(z.object({ id: UuidSchema, name: z.string() })),
    values: z
      .array(z.array(z.number().nullable()))
      .openapi({ description: 'values[source layer][target layer]; null where not computed' }),
    sem: z.array(z.array(z.number().nullable())),
    baseline: z.array(z.array(z.number().nullable())).openapi({
      description: `baseline[source layer][target layer]: ${BASELINE_DESCRIPTION.replace(/^S/, 's')}. It depends on the target layer's representation only (cosine ridge: ~0.5 on ReLU'd neurons, lower on sparse latents), so compare a value with its own floor`,
    }),
  })
  .openapi('ComparisonMatrix');

function createComparisonRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'post',
    path: '/v1/comparisons',
    operationId: 'createComparison',
    summary: 'Compare two layers (neurons or SAE latents) with ridge, semi-matching, soft-matching, RSA or CKA (a job)',
    tags: ['comparisons'],
    access: 'write',
    body: CreateComparisonSchema,
    // An explicit assignment of all 73k NSD images is about 1 MB of JSON.
    bodyLimits: { 'application/json': 8 * 1024 * 1024 },
    responses: { 202: { description: 'Queued (or reused)', schema: ComparisonAcceptedSchema } },
    problems: [503],
    handler: async ({ body }) => {
      if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
      const r = await createComparison(ctx.prisma, ctx.jobs, body);
      return { status: 202, body: r, headers: { Location: r.links.run } };
    },
  });
}

export function comparisonRoutes(ctx: AppContext): RouteSpec[] {
  return [
    createComparisonRoute(ctx),
    defineRoute({
      method: 'get',
      path: '/v1/comparisons/matrix',
      operationId: 'getComparisonMatrix',
      summary: 'Layer-pair matrix of one metric between two models (both sides neurons, or both SAE latents)',
      tags: ['comparisons'],
      access: 'read',
      query: ComparisonMatrixQuery,
      responses: { 200: { description: 'The matrix', schema: ComparisonMatrixSchema } },
      handler: async ({ query: q, req }) =>
        cachedJson(ctx.cache, req, () => comparisonMatrix(ctx.prisma, { ...q, cv: q.cv === 'true' })),
    }),
  ];
}
