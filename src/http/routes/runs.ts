import { gzipSync } from 'node:zlib';
import { encodeNifti1 } from '../../io/nifti-encode';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';
import { runJson, RunSchema } from '../schemas/results';
import { runWeights, runWeightsCsv } from '../../services/run-weights';
import { finiteOrNull, float32Of, int32Of, uint16Of } from '../../services/codecs';

export const FoldsSchema = z
  .object({
    runId: UuidSchema,
    k: z.number().int(),
    seed: z
      .number()
      .int()
      .nullable()
      .openapi({
        description:
          'Seed when the folds came from {k, seed} (scikit-learn KFold(shuffle=True, random_state=seed) order)',
      }),
    assignment: z
      .record(z.string(), z.number().int())
      .openapi({ description: 'nsdId -> fold (0-based); pass it back as folds.assignment to reproduce the run' }),
    counts: z.array(z.number().int()).openapi({ description: 'Test stimuli per fold' }),
  })
  .openapi('Folds');

export const VoxelResultsSchema = z
  .object({
    runId: UuidSchema,
    volumeShape: z.array(z.number().int()).openapi({ description: '(X, Y, Z) of the subject space' }),
    indices: z.array(z.number().int()).openapi({ description: 'Flat voxel index x + X*(y + Y*z)' }),
    values: z
      .array(z.number().nullable())
      .openapi({ description: 'Mean over folds of the voxel score (null: dropped as dead)' }),
    roi: z.array(z.string()).openapi({ description: 'ROI of each voxel' }),
  })
  .openapi('VoxelResults');

export const VoxelQuery = z.object({
  format: z
    .enum(['json', 'nifti'])
    .optional()
    .openapi({
      description: 'json, or nifti (gzipped NIfTI-1 float32 volume, NaN outside the ROIs). Default: from Accept.',
    }),
});

export const RunWeightsQuery = z.object({
  roi: z.string().min(1).openapi({ description: 'ROI name, as in the run scores' }),
  stat: z
    .enum(['meanAbs', 'l2'])
    .default('meanAbs')
    .openapi({
      description:
        "meanAbs: mean |beta| over the ROI's voxels (comparable across ROI sizes); l2: the authors' L2 norm over them",
    }),
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'csv: as Accept: text/csv' }),
});

export const RunWeightsSchema = z
  .object({
    runId: UuidSchema,
    roi: z.string(),
    stat: z
      .enum(['meanAbs', 'l2'])
      .openapi({ description: 'Over the ROI voxels kept in the fit: mean |beta|, or the L2 norm of beta' }),
    units: z
      .array(z.number().int())
      .openapi({ description: 'Source unit (neuron or SAE latent) indices; dead units are absent' }),
    mean: z.array(z.number()).openapi({ description: 'Mean over folds, per unit' }),
    folds: z.array(z.array(z.number())).openapi({ description: 'folds[k][i]: fold k, unit units[i]' }),
  })
  .openapi('RunWeights');

export function runRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/runs/{id}',
      operationId: 'getRun',
      summary: 'A run: status, inputs, backend, versions, timings and per-ROI scores',
      tags: ['runs'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The run', schema: RunSchema } },
      handler: async ({ params }) => {
        const run = await ctx.prisma.run.findUnique({
          where: { id: params.id },
          include: { scores: { orderBy: { id: 'asc' } } },
        });
        if (!run) throw HttpProblem.notFound('run', params.id);
        return { body: runJson(run) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/runs/{id}/folds',
      operationId: 'getRunFolds',
      summary: 'The fold assignment a run used (reusable as an explicit assignment)',
      tags: ['runs'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'Folds', schema: FoldsSchema } },
      problems: [409],
      handler: async ({ params }) => {
        const run = await ctx.prisma.run.findUnique({ where: { id: params.id }, select: { foldAssignment: true } });
        if (!run) throw HttpProblem.notFound('run', params.id);
        const f = run.foldAssignment as { k: number; seed: number | null; nsdIds: number[]; folds: number[] } | null;
        if (!f) throw new HttpProblem('conflict', 'the run has not assigned its folds yet (it is still queued)');
        const assignment: Record<string, number> = {};
        const counts = new Array<number>(f.k).fill(0);
        f.nsdIds.forEach((id, i) => {
          assignment[String(id)] = f.folds[i];
          counts[f.folds[i]] += 1;
        });
        return { body: { runId: params.id, k: f.k, seed: f.seed, assignment, counts } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/runs/{id}/voxels',
      operationId: 'getRunVoxels',
      summary: 'Per-voxel scores of an alignment run, as JSON or as a NIfTI volume in the subject space',
      tags: ['runs'],
      access: 'read',
      params: IdParams,
      query: VoxelQuery,
      responses: {
        200: { description: 'Voxel scores (JSON), or application/gzip (NIfTI-1 .nii.gz)', schema: VoxelResultsSchema },
      },
      problems: [406, 409],
      handler: async ({ params, query, req }) => {
        const v = await ctx.prisma.runVoxels.findUnique({ where: { runId: params.id } });
        if (!v) {
          const exists = await ctx.prisma.run.count({ where: { id: params.id } });
          if (!exists) throw HttpProblem.notFound('run', params.id);
          throw new HttpProblem('conflict', 'the run has no voxel results (not finished, or not an alignment run)');
        }
        const format =
          query.format ??
          (req.accepts(['application/json', 'application/gzip', 'application/x-nifti']) === 'application/json'
            ? 'json'
            : req.accepts(['application/json', 'application/gzip', 'application/x-nifti'])
              ? 'nifti'
              : null);
        if (!format) throw new HttpProblem('not-acceptable', 'acceptable: application/json, application/gzip (NIfTI)');
        const indices = int32Of(v.voxelIndices);
        const values = float32Of(v.values);
        const codes = uint16Of(v.roiCodes);
        if (format === 'json') {
          return {
            body: {
              runId: params.id,
              volumeShape: v.volumeShape,
              indices: Array.from(indices),
              values: Array.from(values, finiteOrNull),
              roi: Array.from(codes, (c) => v.roiNames[c]),
            },
          };
        }
        const [X, Y, Z] = v.volumeShape;
        const volume = new Float32Array(X * Y * Z).fill(NaN);
        indices.forEach((idx, i) => {
          volume[idx] = values[i];
        });
        const body = gzipSync(encodeNifti1(volume, [X, Y, Z]));
        return {
          body,
          headers: {
            'Content-Type': 'application/gzip',
            'Content-Disposition': `attachment; filename="run-${params.id}.nii.gz"`,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/runs/{id}/weights',
      operationId: 'getRunWeights',
      summary:
        'Ridge weights of an alignment run that asked for them (ridgeWeights): per source unit, mean |beta| (or L2 norm) over an ROI, per fold and averaged (JSON, or CSV with Accept: text/csv)',
      tags: ['runs'],
      access: 'read',
      params: IdParams,
      query: RunWeightsQuery,
      responses: {
        200: { description: 'The weights (JSON), or text/csv: unit, mean, fold0..', schema: RunWeightsSchema },
      },
      problems: [409],
      handler: async ({ params, query, req }) => {
        const r = await runWeights(ctx.prisma, params.id, query.roi, query.stat);
        if (r.kind === 'no-run') throw HttpProblem.notFound('run', params.id);
        if (r.kind === 'none') throw new HttpProblem('conflict', r.reason);
        if (r.kind === 'no-roi')
          throw HttpProblem.invalid('query.roi', `the run has no weights for this ROI; it has: ${r.rois.join(', ')}`);
        const csv =
          query.format === 'csv' ||
          (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv)
          return { body: Buffer.from(runWeightsCsv(r.view)), headers: { 'Content-Type': 'text/csv; charset=utf-8' } };
        return { body: r.view };
      },
    }),
  ];
}
