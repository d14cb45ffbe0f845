import { nsdManifestSchema } from '../../nsd/manifest';
import { getDataset, listDatasets, registerDataset } from '../../services/datasets';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, page, PageQuery, UuidSchema } from '../schemas/common';

export const CreateDatasetSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[\w.:+-]+$/, 'letters, digits and . _ : + - only')
      .openapi({ example: 'nsd' }),
    root: z.string().min(1).openapi({
      description: 'Dataset root folder (inside ALIGN_DATA_ROOTS; a relative path is taken from the first data root)',
      example: '/data/nsd',
    }),
    manifest: z
      .union([
        z
          .string()
          .regex(/^[\w-]+$/)
          .openapi({ description: 'Name of a shipped manifest: "nsd" or "synthetic-nsd"' }),
        nsdManifestSchema,
      ])
      .optional()
      .openapi({ description: 'Inline manifest, or the name of a shipped one' }),
    manifestPath: z.string().min(1).optional().openapi({
      description: 'Manifest JSON file (inside ALIGN_DATA_ROOTS; a relative path is taken from the dataset root)',
    }),
  })
  .strict()
  .refine((b) => (b.manifest === undefined) !== (b.manifestPath === undefined), {
    message: 'give exactly one of manifest or manifestPath',
    path: ['manifest'],
  })
  .openapi('CreateDataset');

export const DatasetRoiSchema = z.object({
  atlas: z.string(),
  name: z.string(),
  label: z.number().int(),
  hemisphere: z.enum(['both', 'lh', 'rh']),
  voxelCount: z.number().int(),
});

export const MissingFileSchema = z
  .object({
    kind: z.enum(['atlas']),
    atlas: z.string(),
    subject: z.string().openapi({ example: 'subj01' }),
    path: z.string().openapi({ description: 'Relative to the dataset root' }),
    reason: z.string(),
  })
  .openapi('MissingFile');

export const DatasetSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    root: z.string(),
    space: z.string(),
    betasVersion: z.string(),
    createdAt: z.string().datetime(),
    atlases: z.array(z.object({ name: z.string(), labels: z.record(z.string(), z.string()) })),
    subjects: z.array(
      z.object({
        label: z.string().openapi({ example: 'subj01' }),
        sessions: z.array(z.number().int()),
        volumeShape: z.array(z.number().int()),
        images: z.number().int(),
        trials: z.number().int(),
        rois: z.array(DatasetRoiSchema),
      }),
    ),
    missing: z.array(MissingFileSchema).openapi({
      description:
        'Files the manifest names that were not on disk at registration (a partial download); their ROIs are not registered',
    }),
  })
  .openapi('Dataset');

function createDatasetRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'post',
    path: '/v1/datasets',
    operationId: 'createDataset',
    summary: 'Register an NSD-layout dataset (every file is checked before any row is written)',
    description:
      'Subjects and sessions present on disk are discovered; atlas volumes absent from a partial download are listed in `missing` and their ROIs skipped. Checks: betas files exist with int16 data of one volume shape and the manifest trial count (truncated files are caught), ROI/ncsnr/brain-mask volumes match the betas volume, the stimulus table maps trials to images. Any failure is a 400 naming the manifest field; nothing is written.',
    tags: ['datasets'],
    access: 'write',
    body: CreateDatasetSchema,
    responses: { 201: { description: 'Registered', schema: DatasetSchema } },
    problems: [409],
    handler: async ({ body }) => {
      const dataset = await registerDataset(ctx.prisma, ctx.config, body);
      return { status: 201, body: dataset, headers: { Location: `/v1/datasets/${dataset.id}` } };
    },
  });
}

export function datasetRoutes(ctx: AppContext): RouteSpec[] {
  return [
    createDatasetRoute(ctx),
    defineRoute({
      method: 'get',
      path: '/v1/datasets',
      operationId: 'listDatasets',
      summary: 'List datasets',
      tags: ['datasets'],
      access: 'read',
      query: PageQuery,
      responses: {
        200: {
          description: 'Datasets',
          schema: page(
            z.object({
              id: UuidSchema,
              name: z.string(),
              root: z.string(),
              subjects: z.array(z.string()),
              createdAt: z.string().datetime(),
            }),
          ).openapi('DatasetPage'),
        },
      },
      handler: async ({ query }) => {
        const { items, total } = await listDatasets(ctx.prisma, query);
        return { body: { items, total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/datasets/{id}',
      operationId: 'getDataset',
      summary: 'One dataset: subjects, atlases, ROIs with voxel counts',
      tags: ['datasets'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The dataset', schema: DatasetSchema } },
      handler: async ({ params }) => ({ body: await getDataset(ctx.prisma, params.id) }),
    }),
  ];
}
