import type { Prisma } from '../../generated/prisma/client';
import type { AppContext } from '../context';
import { cachedJson } from '../response-cache';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { page, PageQuery, UuidSchema } from '../schemas/common';
import {
  differenceGrids,
  foldDifference,
  type FoldDifference,
  type PairedSummary,
} from '../../services/paired-comparisons';
import { pairedForRuns } from '../../services/study-paired';

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
  sort: z.enum(['value', '-value', 'roi', '-roi', 'createdAt', '-createdAt']).default('-createdAt'),
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
    lower: Grid.optional().openapi({
      description:
        'difference only: lower end of the 95% interval: the stimulus bootstrap interval where a study job stored one for these runs, else the Nadeau-Bengio corrected t interval over the per-fold differences (folds share training data)',
    }),
    upper: Grid.optional().openapi({ description: 'difference only: upper end of that interval' }),
    p: Grid.optional().openapi({
      description:
        'difference only: sign-flip permutation p over stimuli where stored, else the two-sided corrected t-test of the per-fold differences',
    }),
    interval: z
      .array(z.array(z.enum(['stimulus bootstrap', 'corrected fold t']).nullable()))
      .optional()
      .openapi({ description: 'difference only: which interval and p each cell carries' }),
    q: Grid.optional().openapi({
      description: 'difference only: Benjamini-Hochberg q-values of p across the non-null cells of this matrix',
    }),
  })
  .openapi('ScoreMatrix');

const SORT: Record<string, Prisma.ScoreOrderByWithRelationInput[]> = {
  value: [{ value: 'asc' }, { id: 'asc' }],
  '-value': [{ value: 'desc' }, { id: 'asc' }],
  roi: [{ target: 'asc' }, { id: 'asc' }],
  '-roi': [{ target: 'desc' }, { id: 'asc' }],
  createdAt: [{ createdAt: 'asc' }, { id: 'asc' }],
  '-createdAt': [{ createdAt: 'desc' }, { id: 'desc' }],
};

type Cell = { value: number; sem: number | null; foldValues: number[]; runId: string };

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
          const where: Prisma.ScoreWhereInput = {
            modelId: q.modelId,
            layerId: q.layerId,
            datasetId: q.datasetId,
            representation: q.representation,
            saeId: q.saeId,
            subject: q.subject,
            atlas: q.atlas,
            target: q.roi,
            method: q.preset,
            kind: q.kind,
          };
          const [rows, total] = await Promise.all([
            ctx.prisma.score.findMany({ where, orderBy: SORT[q.sort], skip: q.offset, take: q.limit }),
            ctx.prisma.score.count({ where }),
          ]);
          const layerIds = [...new Set(rows.map((r) => r.layerId).filter((x): x is string => x !== null))];
          const layers = layerIds.length
            ? await ctx.prisma.layer.findMany({ where: { id: { in: layerIds } }, select: { id: true, name: true } })
            : [];
          const layerName = new Map(layers.map((l) => [l.id, l.name]));
          return {
            items: rows.map((r) => ({
              id: String(r.id),
              runId: r.runId,
              kind: r.kind,
              datasetId: r.datasetId,
              modelId: r.modelId,
              layerId: r.layerId,
              layerName: r.layerId ? (layerName.get(r.layerId) ?? null) : null,
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
              createdAt: r.createdAt.toISOString(),
            })),
            total,
            limit: q.limit,
            offset: q.offset,
          };
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
      handler: async ({ query: q, req }) =>
        cachedJson(ctx.cache, req, async () => {
          const model = await ctx.prisma.model.findUnique({
            where: { id: q.modelId },
            include: {
              layers: {
                select: { id: true, name: true, position: true },
                orderBy: [{ position: 'asc' }, { name: 'asc' }],
              },
            },
          });
          if (!model) throw HttpProblem.notFound('model', q.modelId);
          const reps = q.representation === 'difference' ? ['neurons', 'sae'] : [q.representation];
          const rows = await ctx.prisma.score.findMany({
            where: {
              kind: 'alignment',
              modelId: q.modelId,
              subject: q.subject,
              atlas: q.atlas,
              method: q.preset,
              datasetId: q.datasetId,
              representation: { in: reps },
              ...(q.saeId ? { OR: [{ representation: 'neurons' }, { saeId: q.saeId }] } : {}),
            },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
            select: {
              layerId: true,
              representation: true,
              target: true,
              value: true,
              sem: true,
              foldValues: true,
              runId: true,
            },
          });
          // Newest score wins per (layer, representation, ROI).
          const cells = new Map<string, Cell>();
          const roiOrder: string[] = [];
          for (const r of rows) {
            const key = `${r.layerId}|${r.representation}|${r.target}`;
            if (!cells.has(key))
              cells.set(key, { value: r.value, sem: r.sem, foldValues: r.foldValues, runId: r.runId });
            if (!roiOrder.includes(r.target)) roiOrder.push(r.target);
          }
          const rois = await orderRois(ctx, q.datasetId, q.atlas, roiOrder);
          const values: (number | null)[][] = [];
          const sems: (number | null)[][] = [];
          const diffs: (FoldDifference | null)[][] = [];
          const paired: (PairedSummary | null)[][] = [];
          // Stimulus-level statistics stored by study jobs for the neurons and SAE runs shown (b = SAE, a = neurons).
          const stored =
            q.representation === 'difference'
              ? await pairedForRuns(
                  ctx.prisma,
                  [...cells.entries()].filter(([k]) => k.split('|')[1] === 'neurons').map(([, c]) => c.runId),
                )
              : new Map<string, PairedSummary>();
          for (const layer of model.layers) {
            const vRow: (number | null)[] = [];
            const sRow: (number | null)[] = [];
            const dRow: (FoldDifference | null)[] = [];
            const pRow: (PairedSummary | null)[] = [];
            for (const roi of rois) {
              if (q.representation !== 'difference') {
                const c = cells.get(`${layer.id}|${q.representation}|${roi}`);
                vRow.push(c?.value ?? null);
                sRow.push(c?.sem ?? null);
                continue;
              }
              const n = cells.get(`${layer.id}|neurons|${roi}`);
              const s = cells.get(`${layer.id}|sae|${roi}`);
              const d = n && s ? foldDifference(n.foldValues, s.foldValues) : null;
              // Unpairable folds (different K): the difference of the values, without fold statistics.
              vRow.push(n && s ? s.value - n.value : null);
              sRow.push(d?.sem ?? null);
              dRow.push(d);
              pRow.push(n && s ? (stored.get(`${n.runId}|${s.runId}|${roi}`) ?? null) : null);
            }
            values.push(vRow);
            sems.push(sRow);
            diffs.push(dRow);
            paired.push(pRow);
          }
          const stats = q.representation === 'difference' ? differenceGrids(diffs, paired) : {};
          return {
            modelId: model.id,
            subject: q.subject,
            atlas: q.atlas,
            preset: q.preset,
            representation: q.representation,
            layers: model.layers,
            rois,
            values,
            sem: sems,
            ...stats,
          };
        }),
    }),
  ];
}

/** ROIs in the atlas's label order when the atlas is known, else in order of appearance. */
async function orderRois(
  ctx: AppContext,
  datasetId: string | undefined,
  atlas: string,
  seen: string[],
): Promise<string[]> {
  const a = await ctx.prisma.atlas.findFirst({
    where: { name: atlas, ...(datasetId ? { datasetId } : {}) },
    select: { labels: true },
  });
  if (!a) return [...seen].sort();
  const labels = a.labels as Record<string, string>;
  const order = Object.entries(labels)
    .sort((x, y) => Number(x[0]) - Number(y[0]))
    .map(([, name]) => name);
  const rank = (r: string) => {
    const i = order.indexOf(r);
    return i === -1 ? order.length : i;
  };
  return [...seen].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
}
