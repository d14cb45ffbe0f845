import { existsSync } from 'node:fs';
import path from 'node:path';
import { readManifestFile } from '../../nsd/dataset';
import { atlasLabels, nsdManifestSchema, parseNsdManifest } from '../../nsd/manifest';
import { resolveDataPath, subjectName } from '../../nsd/paths';
import { validateDataset } from '../../nsd/validate';
import { notifyResultsChanged } from '../../db/notify';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, page, PageQuery, UuidSchema } from '../schemas/common';

/** Manifests shipped in data-manifests/ (the real NSD layout, the synthetic demo set). */
export const SHIPPED_MANIFESTS_DIR = path.resolve(import.meta.dirname, '../../../data-manifests');

export const CreateDatasetSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[\w.:+-]+$/, 'letters, digits and . _ : + - only')
      .openapi({ example: 'nsd' }),
    root: z
      .string()
      .min(1)
      .openapi({
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
    manifestPath: z
      .string()
      .min(1)
      .optional()
      .openapi({
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
    missing: z
      .array(MissingFileSchema)
      .openapi({
        description:
          'Files the manifest names that were not on disk at registration (a partial download); their ROIs are not registered',
      }),
  })
  .openapi('Dataset');

async function loadDatasetJson(ctx: AppContext, id: string): Promise<z.infer<typeof DatasetSchema> | null> {
  const d = await ctx.prisma.dataset.findUnique({
    where: { id },
    include: {
      atlases: { orderBy: { name: 'asc' } },
      subjects: {
        orderBy: { label: 'asc' },
        include: {
          rois: { include: { atlas: { select: { name: true } } }, orderBy: [{ label: 'asc' }, { hemisphere: 'asc' }] },
        },
      },
    },
  });
  if (!d) return null;
  const m = d.manifest as { space: string; betas: { version: string } };
  return {
    id: d.id,
    name: d.name,
    root: d.root,
    space: m.space,
    betasVersion: m.betas.version,
    createdAt: d.createdAt.toISOString(),
    atlases: d.atlases.map((a) => ({ name: a.name, labels: a.labels as Record<string, string> })),
    subjects: d.subjects.map((s) => ({
      label: s.label,
      sessions: s.sessions,
      volumeShape: s.volumeShape,
      images: s.images,
      trials: s.trials,
      rois: s.rois.map((r) => ({
        atlas: r.atlas.name,
        name: r.name,
        label: r.label,
        hemisphere: r.hemisphere as 'both' | 'lh' | 'rh',
        voxelCount: r.voxelCount,
      })),
    })),
    missing: d.missing as z.infer<typeof MissingFileSchema>[],
  };
}

function resolveManifest(ctx: AppContext, body: z.infer<typeof CreateDatasetSchema>, root: string): unknown {
  if (body.manifestPath)
    return readManifestFile(body.manifestPath, ctx.config.dataRoots, { base: root, field: 'body.manifestPath' });
  if (typeof body.manifest === 'string') {
    const file = path.join(SHIPPED_MANIFESTS_DIR, `${body.manifest}.json`);
    if (!existsSync(file)) throw HttpProblem.invalid('body.manifest', `no shipped manifest named "${body.manifest}"`);
    return readManifestFile(file, [SHIPPED_MANIFESTS_DIR]);
  }
  return body.manifest;
}

export function datasetRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
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
        if (await ctx.prisma.dataset.findUnique({ where: { name: body.name }, select: { id: true } })) {
          throw new HttpProblem('conflict', `a dataset named "${body.name}" already exists`, {
            errors: [{ field: 'body.name', reason: 'already taken' }],
          });
        }
        // Relative paths: the root against the first data root (as layer and SAE paths), a manifestPath against the root.
        const root = path.resolve(ctx.config.dataRoots[0], body.root);
        resolveDataPath(ctx.config.dataRoots[0], body.root, ctx.config.dataRoots, 'root');
        const manifestInput = resolveManifest(ctx, body, root);
        const summary = await validateDataset(manifestInput, root, ctx.config.dataRoots);
        const manifest = parseNsdManifest(manifestInput);
        const id = await ctx.prisma.$transaction(async (tx) => {
          const d = await tx.dataset.create({
            data: { name: body.name, root, manifest: manifest as object, missing: summary.missing as object[] },
          });
          const atlasIds = new Map<string, string>();
          // Atlases with a volume for at least one subject (a partial download may lack some entirely).
          const present = new Set(summary.subjects.flatMap((s) => s.atlases.map((a) => a.name)));
          for (const a of manifest.atlases.filter((x) => present.has(x.name))) {
            const row = await tx.atlas.create({ data: { datasetId: d.id, name: a.name, labels: atlasLabels(a) } });
            atlasIds.set(a.name, row.id);
          }
          for (const s of summary.subjects) {
            const subject = await tx.subject.create({
              data: {
                datasetId: d.id,
                label: subjectName(s.subject),
                sessions: s.sessions[manifest.betas.format] ?? [],
                volumeShape: [...s.volumeShape],
                images: s.images,
                trials: s.trials,
              },
            });
            const rois = s.atlases.flatMap((a) =>
              a.rois.flatMap((r) =>
                (['both', 'lh', 'rh'] as const)
                  .filter((h) => r.voxels[h] !== undefined)
                  .map((h) => ({
                    atlasId: atlasIds.get(a.name)!,
                    subjectId: subject.id,
                    label: r.value,
                    name: r.name,
                    hemisphere: h,
                    voxelCount: r.voxels[h]!,
                  })),
              ),
            );
            if (rois.length) await tx.roi.createMany({ data: rois });
          }
          return d.id;
        });
        await notifyResultsChanged(ctx.prisma);
        const json = await loadDatasetJson(ctx, id);
        return { status: 201, body: json, headers: { Location: `/v1/datasets/${id}` } };
      },
    }),
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
        const [rows, total] = await Promise.all([
          ctx.prisma.dataset.findMany({
            skip: query.offset,
            take: query.limit,
            orderBy: { createdAt: 'asc' },
            include: { subjects: { select: { label: true }, orderBy: { label: 'asc' } } },
          }),
          ctx.prisma.dataset.count(),
        ]);
        return {
          body: {
            items: rows.map((d) => ({
              id: d.id,
              name: d.name,
              root: d.root,
              subjects: d.subjects.map((s) => s.label),
              createdAt: d.createdAt.toISOString(),
            })),
            total,
            limit: query.limit,
            offset: query.offset,
          },
        };
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
      handler: async ({ params }) => {
        const json = await loadDatasetJson(ctx, params.id);
        if (!json) throw HttpProblem.notFound('dataset', params.id);
        return { body: json };
      },
    }),
  ];
}
