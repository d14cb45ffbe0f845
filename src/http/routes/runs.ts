import type { Request } from 'express';
import { getRunWithScores, runFolds, runVoxels, runVoxelsNiftiGz } from '../../services/run-results';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';
import { runJson, RunSchema } from '../schemas/results';
import { runWeights, runWeightsCsv } from '../../services/run-weights';

export const FoldsSchema = z
  .object({
    runId: UuidSchema,
    k: z.number().int(),
    seed: z.number().int().nullable().openapi({
      description:
        'Seed when the folds came from {k, seed} (scikit-learn KFold(shuffle=True, random_state=seed) order)',
    }),
    repeats: z.number().int().openapi({
      description: 'Repeats of K-fold (repeat r split with seed + r); assignment is the first repeat',
    }),
    assignment: z.record(z.string(), z.number().int()).openapi({
      description:
        'nsdId -> fold (0-based) of the first repeat; pass it back as folds.assignment to reproduce a one-repeat run',
    }),
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
    roi: z.array(z.string()).openapi({
      description:
        "ROI of each entry. Without ?roi= a voxel in several ROIs (nsdgeneral holds V1v) appears once per ROI, each with that ROI's fit",
    }),
    rois: z.array(z.string()).openapi({ description: 'Every ROI of the run, in fit order (what ?roi= accepts)' }),
  })
  .openapi('VoxelResults');

export const VoxelQuery = z.object({
  roi: z.string().min(1).optional().openapi({
    description:
      "One ROI's voxels and that ROI's fit. Without it: every ROI's entries (JSON), or a NIfTI in which a voxel in several ROIs holds the last listed ROI's value (ask per ROI where ROIs overlap)",
    example: 'V1v',
  }),
  format: z.enum(['json', 'nifti']).optional().openapi({
    description: 'json, or nifti (gzipped NIfTI-1 float32 volume, NaN outside the ROIs). Default: from Accept.',
  }),
});

export const RunWeightsQuery = z.object({
  roi: z.string().min(1).openapi({ description: 'ROI name, as in the run scores' }),
  stat: z.enum(['meanAbs', 'l2']).default('meanAbs').openapi({
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

const VOXEL_TYPES = ['application/json', 'application/gzip', 'application/x-nifti'];

/** json or nifti: the query's format, else from Accept; null when Accept allows neither. */
function voxelFormat(req: Request, format: 'json' | 'nifti' | undefined): 'json' | 'nifti' | null {
  if (format) return format;
  const accepted = req.accepts(VOXEL_TYPES);
  return accepted === 'application/json' ? 'json' : accepted ? 'nifti' : null;
}

function runVoxelsRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
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
      const v = await runVoxels(ctx.prisma, params.id, query.roi);
      const format = voxelFormat(req, query.format);
      if (!format) throw new HttpProblem('not-acceptable', 'acceptable: application/json, application/gzip (NIfTI)');
      if (format === 'json')
        return {
          body: {
            runId: params.id,
            volumeShape: v.volumeShape,
            indices: Array.from(v.indices),
            values: Array.from(v.values, (x) => (Number.isFinite(x) ? x : null)),
            roi: v.roi,
            rois: v.rois,
          },
        };
      return {
        body: runVoxelsNiftiGz(v),
        headers: {
          'Content-Type': 'application/gzip',
          'Content-Disposition': `attachment; filename="run-${params.id}.nii.gz"`,
        },
      };
    },
  });
}

function runWeightsRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
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
  });
}

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
      handler: async ({ params }) => ({ body: runJson(await getRunWithScores(ctx.prisma, params.id)) }),
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
      handler: async ({ params }) => ({ body: await runFolds(ctx.prisma, params.id) }),
    }),
    runVoxelsRoute(ctx),
    runWeightsRoute(ctx),
  ];
}
