/** The toy model of superposition (the paper's first experiment) as a job with one JSON result. */
import { AUXK_VARIANTS } from '../../sae/settings';
import { DEFAULT_TOY_OPTIONS } from '../../toy/experiment';
import { createToyExperiment, getExperiment } from '../../services/experiments';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';
import { RunStatusSchema } from '../schemas/results';

const d = DEFAULT_TOY_OPTIONS;

export const ToyOptionsSchema = z
  .object({
    hiddenSizes: z
      .array(z.number().int().min(1).max(64))
      .min(1)
      .max(6)
      .default(d.hiddenSizes)
      .openapi({ description: 'Hidden neurons N per model pair (paper: 8, 16, 32)' }),
    nFeatures: z.number().int().min(2).max(256).default(d.nFeatures),
    featureProb: z.number().gt(0).max(1).default(d.featureProb),
    modelSteps: z
      .number()
      .int()
      .min(1)
      .max(50_000)
      .default(d.modelSteps)
      .openapi({ description: 'AdamW steps per toy model (paper: 10,000)' }),
    samples: z
      .number()
      .int()
      .min(1024)
      .max(1 << 24)
      .default(d.samples)
      .openapi({
        description:
          'Rows of the shared data set: both models train on it in order (wrapping when steps x 1024 exceeds it), the SAEs on the first 80% of its activations, metrics on the rest',
      }),
    seeds: z.tuple([z.number().int(), z.number().int()]).default(d.seeds).openapi({
      description:
        'Initialisation seeds of the two models; both train on the same data set in the same order (toy_models.py)',
    }),
    dataSeed: z
      .number()
      .int()
      .default(d.dataSeed)
      .openapi({ description: 'Seed of the one data set shared by every model' }),
    importance: z.enum(['powerlaw', 'uniform']).default(d.importance).openapi({
      description:
        "Feature importance: 'powerlaw' (1 + 2i/F)^-2 (b589eb7, the paper's runs) or 'uniform' (96006be default)",
    }),
    sae: z
      .object({
        latents: z.number().int().min(2).max(1024),
        k: z.number().int().min(1),
        auxWeight: z.number().min(0),
        lr: z.number().positive(),
        batchSize: z.number().int().min(1),
        seed: z
          .number()
          .int()
          .openapi({ description: 'Initialisation seed of both SAEs (the authors reseed with 0 before each)' }),
        auxK: z.enum(AUXK_VARIANTS),
        init: z.enum(['kaiming-uniform', 'xavier-normal']),
        decoderNorm: z.enum(['none', 'unit']),
      })
      .partial()
      .strict()
      .default({}),
    folds: z.number().int().min(2).max(20).default(d.folds),
    foldSeed: z.number().int().default(d.foldSeed),
    ridge: z.boolean().default(d.ridge),
    replicates: z.number().int().min(1).max(20).default(d.replicates).openapi({
      description:
        "Replicates: replicate r re-runs every N with model seeds seeds + 2r and SAE seed sae.seed + r on the same data set; the result gives per N each statistic's mean over replicates and a 95% Student-t interval over them (summary), every replicate (replicates) and replicate 0 as results",
    }),
  })
  .strict()
  .refine((o) => (o.sae.k ?? d.sae.k) <= (o.sae.latents ?? d.sae.latents), {
    message: 'k must not exceed latents',
    path: ['sae', 'k'],
  })
  .openapi('ToySuperpositionOptions');

export const ExperimentSchema = z
  .object({
    id: UuidSchema,
    kind: z.string(),
    status: RunStatusSchema,
    options: z.record(z.string(), z.unknown()),
    result: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        'Per N: semi-/soft-matching and ridge between the two models as neurons and as SAE latents (mean, SEM, folds), best |r| of units with the ground-truth features, SAE FVU/L0/dead share, feature overlap ||W1_i|| ||W2_i|| statistics (results: replicate 0; replicates: every replicate; summary: per N and statistic the mean over replicates with its 95% t interval)',
    }),
    error: z.string().nullable(),
    jobId: UuidSchema.nullable(),
    createdAt: z.string().datetime(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi('Experiment');

type ExperimentRow = {
  id: string;
  kind: string;
  status: z.infer<typeof RunStatusSchema>;
  options: unknown;
  result: unknown;
  error: string | null;
  jobId: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

function experimentJson(e: ExperimentRow): z.infer<typeof ExperimentSchema> {
  return {
    id: e.id,
    kind: e.kind,
    status: e.status,
    options: e.options as Record<string, unknown>,
    result: (e.result ?? null) as Record<string, unknown> | null,
    error: e.error,
    jobId: e.jobId,
    createdAt: e.createdAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
  };
}

export function experimentRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/experiments/toy-superposition',
      operationId: 'runToySuperposition',
      summary:
        'Run the toy superposition experiment: two toy models per N, an SAE per model, matching metrics and ground truth (a job)',
      tags: ['experiments'],
      access: 'write',
      body: ToyOptionsSchema,
      responses: { 202: { description: 'Queued', schema: ExperimentSchema } },
      problems: [503],
      handler: async ({ body }) => {
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        const row = await createToyExperiment(ctx.prisma, ctx.jobs, body);
        return { status: 202, body: experimentJson(row), headers: { Location: `/v1/experiments/${row.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/experiments/{id}',
      operationId: 'getExperiment',
      summary: 'An experiment: status, options and result',
      tags: ['experiments'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The experiment', schema: ExperimentSchema } },
      handler: async ({ params }) => {
        return { body: experimentJson(await getExperiment(ctx.prisma, params.id)) };
      },
    }),
  ];
}
