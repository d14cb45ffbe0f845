/**
 * GET /v1/studies/{id}/comparisons?a=neurons&b=sae: b - a per (subject, layer, ROI) cell with its fold t
 * intervals, the stimulus bootstrap interval and sign-flip permutation p stored by the study's jobs, q across
 * the study's cells, and per layer x ROI across subjects; JSON, or CSV
 * (Accept: text/csv or format=csv; table=cells|subjects). Arithmetic in services/paired-comparisons.ts.
 */
import { acrossSubjectsCsv, comparisonCellsCsv } from '../../services/paired-comparisons';
import { studyComparisons } from '../../services/study-views';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

const Selector = z.union([z.enum(['neurons', 'sae', 'random-sae']), UuidSchema]).openapi({
  description: '"neurons", "sae" (the layer\'s SAE in this study), "random-sae" (its untrained twin) or an SAE id',
});

export const ComparisonsQuery = z.object({
  a: Selector.default('neurons'),
  b: Selector.default('sae'),
  adjust: z
    .enum(['bh', 'holm'])
    .default('bh')
    .openapi({ description: 'q: Benjamini-Hochberg q-values (default) or Holm adjusted p, across the table' }),
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'csv: as Accept: text/csv' }),
  table: z
    .enum(['cells', 'subjects'])
    .default('cells')
    .openapi({ description: 'CSV only: the per-cell table or the across-subjects table' }),
});

const n = z.number().nullable();

export const ComparisonCellSchema = z
  .object({
    subject: z.string(),
    layerId: UuidSchema,
    layerName: z.string(),
    roi: z.string(),
    a: z.number(),
    b: z.number(),
    difference: z.number().openapi({ description: 'b - a: mean over folds of the per-fold differences' }),
    foldCi: z.object({ lower: n, upper: n, sem: n, p: n, nFolds: z.number().int() }).openapi({
      description: '95% t interval and t-test over the per-fold differences (folds share training data: descriptive)',
    }),
    foldCiCorrected: z
      .object({ lower: n, upper: n, sem: n, p: n })
      .openapi({ description: 'Nadeau-Bengio corrected t interval and test over the per-fold differences' }),
    bootstrapCi: z
      .object({
        lower: z.number(),
        upper: z.number(),
        se: z.number(),
        nResamples: z.number().int(),
        seed: z.number().int().nullable(),
      })
      .nullable()
      .openapi({
        description:
          '95% percentile interval over resampled held-out stimuli (seeded: {seed, nResamples} regenerate every resample); null when the held-out predictions were not kept',
      }),
    p: n.openapi({
      description:
        'Sign-flip permutation p over stimuli when the study job kept both held-out predictions, else the corrected fold t-test p',
    }),
    pMethod: z.enum(['sign-flip permutation over stimuli', 'corrected fold t-test']),
    permutation: z.object({ exact: z.boolean(), nPermutations: z.number().int() }).nullable(),
    q: n.openapi({ description: 'Adjusted across all cells of this table (adjust=bh: q-value; holm: adjusted p)' }),
    nStimuli: z.number().int().nullable(),
    normalised: z
      .object({ a: n, b: n, difference: n })
      .openapi({ description: 'Noise-ceiling-normalised values where the preset gives them' }),
  })
  .openapi('ComparisonCell');

export const AcrossSubjectsRowSchema = z
  .object({
    layerId: UuidSchema,
    layerName: z.string(),
    roi: z.string(),
    nSubjects: z.number().int(),
    mean: z.number(),
    sem: n,
    lower: n,
    upper: n,
    t: n,
    df: z.number().int(),
    p: n.openapi({ description: 'One-sample t-test of the per-subject differences' }),
    q: n,
    wilcoxon: z
      .object({ statistic: z.number(), p: n, method: z.string() })
      .openapi({ description: 'Signed-rank test with scipy.stats.wilcoxon defaults (scipy >= 1.13)' }),
    wins: z.number().int().openapi({ description: 'Subjects where b - a > 0' }),
    losses: z.number().int(),
    ties: z.number().int(),
  })
  .openapi('AcrossSubjectsRow');

export const StudyComparisonsSchema = z
  .object({
    studyId: UuidSchema,
    a: z.string(),
    b: z.string(),
    adjust: z.enum(['bh', 'holm']),
    cells: z.array(ComparisonCellSchema),
    acrossSubjects: z.array(AcrossSubjectsRowSchema),
  })
  .openapi('StudyComparisons');

export function studyComparisonRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/studies/{id}/comparisons',
      operationId: 'getStudyComparisons',
      summary:
        'b - a (default SAE - neurons) per subject x layer x ROI with interval, p and q, and per layer x ROI across subjects (JSON or CSV)',
      tags: ['studies'],
      access: 'read',
      params: IdParams,
      query: ComparisonsQuery,
      responses: {
        200: {
          description: 'The comparison tables (JSON), or one of them as text/csv',
          schema: StudyComparisonsSchema,
        },
      },
      problems: [404],
      handler: async ({ params, query, req }) => {
        const tables = await studyComparisons(ctx.prisma, params.id, query.a, query.b, query.adjust);
        const csv =
          query.format === 'csv' ||
          (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) {
          const text =
            query.table === 'subjects' ? acrossSubjectsCsv(tables.acrossSubjects) : comparisonCellsCsv(tables.cells);
          return { body: Buffer.from(text), headers: { 'Content-Type': 'text/csv; charset=utf-8' } };
        }
        return { body: { studyId: params.id, a: query.a, b: query.b, adjust: query.adjust, ...tables } };
      },
    }),
  ];
}
