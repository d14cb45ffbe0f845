/**
 * Studies: the paper's grid (subjects x layers x {neurons, SAE} x ROIs of several atlases) in one request.
 * Validation and shaping here; creation, progress, results and cancellation in services/studies.ts.
 */
import { cancelStudy, createStudy } from '../../services/studies';
import { findStudy, listStudies, resultsCsv, studyProgress } from '../../services/study-views';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, page, PageQuery, UuidSchema } from '../schemas/common';
import { BASELINE_DESCRIPTION, N_STIMULI_DESCRIPTION, RunStatusSchema } from '../schemas/results';
import { streamPolled } from '../sse';
import { CreateAlignmentSchema, FoldsSpecSchema, RepresentationSchema, RoiUnionSchema } from './alignments';
import { LayerPreprocessingSchema } from './layers';

const RoiRequestSchema = z
  .union([
    z.string().min(1).openapi({
      description:
        '"atlas/label" ("prf-visualrois/V1v", "floc-faces/lh.FFA-1"), a roiGroup of the manifest ("FFA"), or a label only one atlas has',
    }),
    RoiUnionSchema,
  ])
  .openapi('StudyRoi');

const StudyStatisticsSchema = z.object({
  resamples: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .openapi({ description: 'Bootstrap resamples of the held-out stimuli per paired cell' }),
  permutations: z.number().int().min(1).max(100_000).openapi({
    description: 'Random sign flips of the permutation test (exact enumeration when 2^stimuli is no more)',
  }),
  seed: z
    .number()
    .int()
    .min(0)
    .max(4_294_967_295)
    .openapi({ description: 'Bootstrap seed of the first ROI (ROI i: seed + i); every paired cell stores its own' }),
});

const SelectSaeSchema = z
  .object({
    selectSae: z.literal('inner-cv'),
    candidates: z.array(UuidSchema).min(2).max(10),
    innerFolds: z.number().int().min(2).max(10).optional().openapi({ description: 'Inner folds (default 5)' }),
  })
  .strict()
  .openapi('SelectSae', {
    description:
      "Several SAEs of one layer; per subject x layer and outer fold, an inner K-fold over that fold's training stimuli scores each candidate's ridge mapping (mean over ROIs of the inner CV score) and the best one predicts the fold's test stimuli: the choice never sees the test stimuli. Stored per fold with the inner scores (results[].saeSelection); a representation naming one SAE reads saeSelection 'fixed'",
  });

const StudyRepresentationSchema = z.union([RepresentationSchema, SelectSaeSchema]).openapi('StudyRepresentation');

export const CreateStudySchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    datasetId: UuidSchema,
    subjects: z
      .union([
        z
          .array(z.union([z.string().regex(/^subj\d{2}$/), z.number().int().min(1).max(99)]))
          .min(1)
          .max(50),
        z.literal('all'),
      ])
      .openapi({
        description: 'Subject labels or numbers, or "all": every subject of the dataset (stored as their labels)',
        example: ['subj01', 'subj02'],
      }),
    layerIds: z.array(UuidSchema).min(1).max(200),
    representations: z.array(StudyRepresentationSchema).min(1).max(10).default(['neurons', 'sae']).openapi({
      description:
        '"neurons"; "sae" = the newest ready SAE of each layer; {saeId} = that SAE on its own layer; "random-sae" / {randomSaeOf} = the untrained twin of a trained SAE (the control); {selectSae: "inner-cv", candidates: [saeId, ...]} = one of several SAEs of a layer, chosen per outer fold on its training part only',
    }),
    rois: z
      .array(RoiRequestSchema)
      .min(1)
      .max(200)
      .openapi({
        example: ['prf-visualrois/V1v', 'FFA', { name: 'V1', members: ['prf-visualrois/V1v', 'prf-visualrois/V1d'] }],
      }),
    preset: CreateAlignmentSchema.shape.preset,
    score: CreateAlignmentSchema.shape.score,
    alphas: CreateAlignmentSchema.shape.alphas,
    folds: FoldsSpecSchema.default({ k: 5, seed: 0 }),
    noiseCeiling: CreateAlignmentSchema.shape.noiseCeiling,
    metric: CreateAlignmentSchema.shape.metric,
    cv: CreateAlignmentSchema.shape.cv,
    minStimuli: CreateAlignmentSchema.shape.minStimuli,
    statistics: StudyStatisticsSchema.partial().strict().optional().openapi({
      description:
        "The conditional stimulus-level statistics of every pair of representations of a layer (bootstrap interval and sign-flip p, conditional on the first repeat's fitted models; reported beside the corrected resampled t headline; default {resamples: 1000, permutations: 9999, seed: 0})",
    }),
  })
  .strict()
  .openapi('CreateStudy');

const StudyStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).openapi('StudyState');

export const StudyResultRowSchema = z
  .object({
    subject: z.string(),
    model: z.string(),
    layer: z.string(),
    layerId: UuidSchema,
    representation: z.string(),
    saeId: UuidSchema.nullable(),
    roi: z.string(),
    atlas: z.string().nullable(),
    value: z.number(),
    sem: z.number().nullable(),
    foldValues: z.array(z.number()),
    alphas: z.array(z.number()),
    nVoxels: z.number().int().nullable(),
    nStimuli: z.number().int().nullable().openapi({ description: N_STIMULI_DESCRIPTION }),
    noiseCeiling: z.number().nullable(),
    normalised: z.number().nullable(),
    baseline: z.number().nullable().openapi({ description: BASELINE_DESCRIPTION }),
    runId: UuidSchema,
    preprocessing: LayerPreprocessingSchema.nullable().openapi({
      description: "The layer's preprocessing (null: none)",
    }),
    saeSelection: z
      .union([
        z.literal('fixed'),
        z.object({
          method: z.literal('inner-cv'),
          candidates: z.array(UuidSchema),
          innerFolds: z.number().int(),
          innerSeed: z.number().int(),
          criterion: z.string(),
          folds: z.array(
            z.object({
              fold: z.number().int(),
              saeId: UuidSchema,
              innerScores: z.record(z.string(), z.number().nullable()),
            }),
          ),
        }),
      ])
      .nullable()
      .openapi({
        description:
          "SAE rows: 'fixed' = one SAE named (or chosen) before the study, the same in every fold; else the inner-CV choice per outer fold with every candidate's inner score. null for neurons",
      }),
  })
  .openapi('StudyResultRow');

const ResolvedRoiSchema = z.object({
  name: z.string(),
  atlas: z.string(),
  members: z.array(z.object({ atlas: z.string(), label: z.string(), hemisphere: z.string() })),
});

export const StudySchema = z
  .object({
    id: UuidSchema,
    name: z.string().nullable(),
    state: StudyStateSchema,
    createdAt: z.string().datetime(),
    cancelledAt: z.string().datetime().nullable(),
    inputs: z.object({
      name: z.string().nullable(),
      datasetId: UuidSchema,
      subjects: z.array(z.string()),
      layerIds: z.array(UuidSchema),
      layerPreprocessing: z
        .record(z.string(), LayerPreprocessingSchema)
        .optional()
        .openapi({ description: 'layerId -> preprocessing, for the layers that have one' }),
      cells: z.array(
        z.object({
          subject: z.string(),
          layerId: UuidSchema,
          representation: z.string(),
          saeId: UuidSchema.nullable(),
          selection: z
            .object({ method: z.literal('inner-cv'), candidates: z.array(UuidSchema), innerFolds: z.number().int() })
            .optional(),
        }),
      ),
      rois: z.array(ResolvedRoiSchema),
      preset: z.string(),
      score: z.enum(['cosine', 'pearson']).optional(),
      alphas: z.array(z.number()),
      folds: z.unknown(),
      noiseCeiling: z.object({ minPercent: z.number() }).optional(),
      statistics: StudyStatisticsSchema.optional(),
    }),
    progress: z.object({
      done: z.number().int(),
      total: z.number().int(),
      failed: z.number().int(),
      cancelled: z.number().int(),
      jobs: z.object({ done: z.number().int(), total: z.number().int() }).openapi({
        description: 'One job per subject x layer fits all of its representations (done, total count cells)',
      }),
      running: z.array(
        z.object({
          runId: UuidSchema,
          jobId: UuidSchema.nullable(),
          subject: z.string(),
          layerId: UuidSchema,
          representation: z.string(),
          stage: z.string().nullable(),
          fraction: z.number(),
        }),
      ),
    }),
    cells: z.array(
      z.object({
        runId: UuidSchema,
        jobId: UuidSchema.nullable(),
        subject: z.string(),
        layerId: UuidSchema,
        representation: z.string(),
        saeId: UuidSchema.nullable(),
        status: RunStatusSchema,
        error: z.string().nullable(),
      }),
    ),
    results: z
      .array(StudyResultRowSchema)
      .openapi({ description: 'One row per subject x layer x representation x ROI of every finished cell' }),
    links: z.object({ self: z.string(), events: z.string(), comparisons: z.string() }),
  })
  .openapi('Study');

const withLinks = <T extends { id: string }>(view: T) => ({
  ...view,
  links: {
    self: `/v1/studies/${view.id}`,
    events: `/v1/studies/${view.id}/events`,
    comparisons: `/v1/studies/${view.id}/comparisons`,
  },
});

export function studyRoutes(ctx: AppContext): RouteSpec[] {
  return [
    createStudyRoute(ctx),
    listStudiesRoute(ctx),
    getStudyRoute(ctx),
    studyEventsRoute(ctx),
    cancelStudyRoute(ctx),
  ];
}

function createStudyRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'post',
    path: '/v1/studies',
    operationId: 'createStudy',
    summary:
      'A grid of alignments: one run per subject x layer x representation, one job per subject x layer fitting all its representations (every ROI over one shared decomposition per fold) and their paired statistics',
    tags: ['studies'],
    access: 'write',
    body: CreateStudySchema,
    responses: { 202: { description: 'The study (new, or the identical earlier one)', schema: StudySchema } },
    problems: [422, 503],
    handler: async ({ body }) => {
      if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
      const view = await createStudy(ctx.prisma, ctx.config, ctx.jobs, body);
      return { status: 202, body: withLinks(view), headers: { Location: `/v1/studies/${view.id}` } };
    },
  });
}

function listStudiesRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'get',
    path: '/v1/studies',
    operationId: 'listStudies',
    summary: 'Studies, newest first, with state and progress (no results)',
    tags: ['studies'],
    access: 'read',
    query: PageQuery,
    responses: { 200: { description: 'Studies', schema: page(StudySchema).openapi('StudyPage') } },
    handler: async ({ query }) => {
      const { items, total } = await listStudies(ctx.prisma, query);
      return { body: { items: items.map(withLinks), total, limit: query.limit, offset: query.offset } };
    },
  });
}

function getStudyRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'get',
    path: '/v1/studies/{id}',
    operationId: 'getStudy',
    summary: 'State, progress over its jobs and the tidy results table (as CSV with Accept: text/csv)',
    tags: ['studies'],
    access: 'read',
    params: IdParams,
    responses: { 200: { description: 'The study (JSON), or its results as text/csv', schema: StudySchema } },
    handler: async ({ params, req }) => {
      const view = await findStudy(ctx.prisma, params.id);
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        return {
          body: Buffer.from(resultsCsv(view.results)),
          headers: { 'Content-Type': 'text/csv; charset=utf-8' },
        };
      }
      return { body: withLinks(view) };
    },
  });
}

function studyEventsRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'get',
    path: '/v1/studies/{id}/events',
    operationId: 'streamStudyEvents',
    summary:
      'Server-sent events: `progress` on every change of state or progress, `end` at a final state (data: state and progress)',
    tags: ['studies'],
    access: 'read',
    params: IdParams,
    responses: {
      200: { description: 'text/event-stream of {id, state, progress}', contentType: 'text/event-stream' },
    },
    handler: async ({ params, req, res }) => {
      await findStudy(ctx.prisma, params.id, { results: false });
      await streamPolled(req, res, () => studyProgress(ctx.prisma, params.id));
      return undefined;
    },
  });
}

function cancelStudyRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'delete',
    path: '/v1/studies/{id}',
    operationId: 'cancelStudy',
    summary: 'Cancel what is left of a study; finished cells and their results stay (state cancelled)',
    tags: ['studies'],
    access: 'write',
    params: IdParams,
    responses: { 202: { description: 'Cancellation accepted', schema: StudySchema } },
    problems: [503],
    handler: async ({ params }) => {
      if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
      return { status: 202, body: withLinks(await cancelStudy(ctx.prisma, ctx.jobs, params.id)) };
    },
  });
}
