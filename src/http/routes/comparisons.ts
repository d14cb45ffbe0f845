/**
 * Model-to-model comparisons: one metric between two layers (neurons or SAE latents), as a job; and the
 * layer-pair matrix between two models (the paper's seed-vs-seed figures).
 */
import { layerPreprocessingOf } from '../../activations/preprocessing';
import { comparisonRequestHash, type ComparisonInputs, type ComparisonSide } from '../../jobs/handlers/comparison';
import type { AppContext } from '../context';
import { cachedJson } from '../response-cache';
import { z } from '../openapi-registry';
import { HttpProblem, type FieldError } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { UuidSchema } from '../schemas/common';
import { RunStatusSchema } from '../schemas/results';
import { canonicalFolds, foldsSpecErrors } from '../../services/folds';
import { createOrReuseRun } from '../../services/runs';
import { comparisonMatrix } from '../../services/score-matrices';
import { representationKind, resolveRepresentation } from '../../services/representations';
import { storedMethod, WHOLE_SET_METRICS } from '../../threads/compute-tasks';
import { FoldsSpecSchema, RepresentationSchema, RidgePresetSchema } from './alignments';

const Side = z
  .object({
    layerId: UuidSchema,
    representation: RepresentationSchema.default('neurons'),
  })
  .strict();

export const MetricSchema = z
  .enum(['ridge', 'semi-matching', 'soft-matching', 'rsa', 'cka', 'cka-debiased'])
  .openapi('ComparisonMetric', {
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
  })
  .openapi('ComparisonMatrix');

export function comparisonRoutes(ctx: AppContext): RouteSpec[] {
  async function resolveSide(side: z.infer<typeof Side>, field: string, errors: FieldError[]): Promise<ComparisonSide> {
    const layer = await ctx.prisma.layer.findUnique({
      where: { id: side.layerId },
      select: { id: true, preprocessing: true },
    });
    if (!layer) errors.push({ field: `${field}.layerId`, reason: 'no such layer' });
    const pre = layerPreprocessingOf(layer?.preprocessing);
    const withPre = <T extends object>(s: T) => (pre ? { ...s, preprocessing: pre } : s);
    const r = await resolveRepresentation(
      ctx.prisma,
      side.representation,
      layer ? [side.layerId] : [],
      `${field}.representation`,
    );
    errors.push(...r.errors);
    if (r.saeLayerId && r.saeLayerId !== side.layerId)
      errors.push({ field: `${field}.representation`, reason: 'the SAE belongs to another layer' });
    return withPre({
      layerId: side.layerId,
      representation: representationKind(side.representation),
      saeId: r.resolved[0]?.saeId ?? null,
    });
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/comparisons',
      operationId: 'createComparison',
      summary:
        'Compare two layers (neurons or SAE latents) with ridge, semi-matching, soft-matching, RSA or CKA (a job)',
      tags: ['comparisons'],
      access: 'write',
      body: CreateComparisonSchema,
      // An explicit assignment of all 73k NSD images is about 1 MB of JSON.
      bodyLimits: { 'application/json': 8 * 1024 * 1024 },
      responses: { 202: { description: 'Queued (or reused)', schema: ComparisonAcceptedSchema } },
      problems: [503],
      handler: async ({ body }) => {
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        const errors: FieldError[] = [];
        const source = await resolveSide(body.source, 'body.source', errors);
        const target = await resolveSide(body.target, 'body.target', errors);
        errors.push(...foldsSpecErrors(body.folds, 'body.folds'));
        if (!body.cv && !WHOLE_SET_METRICS.includes(body.metric))
          errors.push({
            field: 'body.cv',
            reason: `${body.metric} is fitted on training folds; cv: false applies to ${WHOLE_SET_METRICS.join(', ')}`,
          });
        if (errors.length) throw HttpProblem.fields(errors);
        // cv enters the inputs (and the request hash) only when false, so earlier runs keep their hash.
        const inputs: ComparisonInputs = {
          source,
          target,
          metric: body.metric,
          preset: body.preset,
          alphas: body.alphas,
          folds: canonicalFolds(body.folds),
          ...(body.cv ? {} : { cv: false as const }),
        };
        const r = await createOrReuseRun(ctx.prisma, ctx.jobs, 'comparison', comparisonRequestHash(inputs), {
          kind: 'comparison',
          inputs: inputs as unknown as object,
          method: storedMethod(body.metric, body.cv),
          layerId: source.layerId,
          representation: source.representation,
          saeId: source.saeId,
          targetLayerId: target.layerId,
          targetRepresentation: target.representation,
        });
        return { status: 202, body: r, headers: { Location: r.links.run } };
      },
    }),
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
