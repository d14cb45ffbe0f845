/**
 * Layers: a model's activations for NSD stimuli, registered by path (inside ALIGN_DATA_ROOTS) or by
 * multipart upload (stored in the artefact store, ALIGN_STORE_DIR, by content hash). Files are read and checked
 * before any row is written: a float matrix (stimuli x units), one unique nsdId per row.
 */
import type { Request, Response } from 'express';
import multer from 'multer';
import { coercedIntColumn, intColumn } from '../../int-columns';
import {
  getLayer,
  type Layer,
  type LayerPreprocessing,
  registerLayerFromRefs,
  registerUploadedLayer,
  withUploadScratch,
} from '../../services/layers';
import { MAX_UPLOAD_BYTES } from '../../services/uploads';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem, zodFieldErrors } from '../problem';
import { assertSafeInput } from '../input-safety';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

const PathRef = z.object({
  path: z.string().min(1).openapi({ description: 'File path (absolute, or relative to the first data root)' }),
  dataset: z.string().min(1).optional().openapi({ description: 'HDF5 dataset name (for .h5/.hdf5 files)' }),
});

const UploadRef = z
  .object({
    upload: UuidSchema.openapi({ description: 'The id of a complete resumable upload (POST /v1/uploads)' }),
    dataset: z.string().min(1).optional().openapi({ description: 'HDF5 dataset name (for .h5/.hdf5 files)' }),
  })
  .strict();

const FileRef = z.union([PathRef, UploadRef]);

export const LayerPreprocessingSchema = z
  .object({
    clamp: z
      .literal('relu')
      .optional()
      .openapi({ description: "'relu': negative activations become 0 (the authors' CNN layers)" }),
  })
  .strict()
  .openapi('LayerPreprocessing', {
    description:
      'Applied to the activations before every metric and SAE (training and encoding); stored with the layer and reported with every run',
  });

export const CreateLayerSchema = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: 'layer4.2' }),
    position: intColumn({ min: 0 })
      .optional()
      .openapi({ description: 'Depth order within the model (default: after the existing layers)' }),
    activations: FileRef.openapi({
      description: '.npy (float16/32/64, C or Fortran order) or HDF5 dataset, stimuli x units; by path or upload id',
    }),
    stimulusIds: FileRef.openapi({
      description: 'nsdIds of the activation rows: .npy, .json, .csv or HDF5 dataset; by path or upload id',
    }),
    preprocessing: LayerPreprocessingSchema.optional(),
  })
  .strict()
  .openapi('CreateLayer');

export const UploadLayerSchema = z
  .object({
    name: z.string(),
    position: z.string().optional(),
    activations: z.string().openapi({ format: 'binary', description: '.npy file' }),
    stimulusIds: z.string().openapi({ format: 'binary', description: '.npy, .json or .csv file' }),
    preprocessing: z
      .string()
      .optional()
      .openapi({ description: 'LayerPreprocessing as JSON text, e.g. {"clamp": "relu"}' }),
  })
  .openapi('UploadLayer');

const StoredFileSchema = z.object({
  path: z.string().openapi({
    description: 'The path inside the data roots, or for an upload its artefact store key (sha256:<hex> and extension)',
  }),
  dataset: z.string().nullable(),
});

export const LayerSchema = z
  .object({
    id: UuidSchema,
    modelId: UuidSchema,
    name: z.string(),
    position: z.number().int(),
    width: z.number().int(),
    count: z.number().int(),
    dtype: z.string(),
    checksum: z.string().openapi({ description: 'sha256 of the activation file' }),
    activations: StoredFileSchema,
    stimulusIds: StoredFileSchema,
    preprocessing: LayerPreprocessingSchema.nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('Layer');

export function layerJson(l: Layer): z.infer<typeof LayerSchema> {
  return {
    id: l.id,
    modelId: l.modelId,
    name: l.name,
    position: l.position,
    width: l.width,
    count: l.count,
    dtype: l.dtype,
    checksum: l.checksum,
    activations: { path: l.activationsPath, dataset: l.activationsDataset },
    stimulusIds: { path: l.stimulusIdsPath, dataset: l.stimulusIdsDataset },
    preprocessing: l.preprocessing,
    createdAt: l.createdAt.toISOString(),
  };
}

/** The multipart `preprocessing` field: LayerPreprocessing as JSON text. */
function parsePreprocessingField(text: string): LayerPreprocessing {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw HttpProblem.invalid('body.preprocessing', 'must be JSON text such as {"clamp": "relu"}');
  }
  const parsed = LayerPreprocessingSchema.safeParse(value);
  if (!parsed.success) throw HttpProblem.fields(zodFieldErrors(parsed.error, 'body.preprocessing'));
  return parsed.data;
}

function runMulter(req: Request, res: Response, dir: string): Promise<void> {
  const upload = multer({ dest: dir, limits: { fileSize: MAX_UPLOAD_BYTES, files: 2, fields: 10 } }).fields([
    { name: 'activations', maxCount: 1 },
    { name: 'stimulusIds', maxCount: 1 },
  ]);
  return new Promise((resolve, reject) =>
    upload(req, res, (err: unknown) => {
      if (!err) return resolve();
      const e = err as { code?: string; field?: string; message?: string };
      if (e.code === 'LIMIT_FILE_SIZE')
        return reject(new HttpProblem('payload-too-large', `upload exceeds ${MAX_UPLOAD_BYTES} bytes`));
      reject(HttpProblem.invalid(`body.${e.field ?? 'upload'}`, e.message ?? 'bad multipart upload'));
    }),
  );
}

/** The multipart form's fields, checked as the JSON body's are. */
function uploadFields(fields: Record<string, string>) {
  assertSafeInput(fields, 'body');
  const name = z.string().trim().min(1).max(200).safeParse(fields?.name);
  if (!name.success) throw HttpProblem.invalid('body.name', 'required text field');
  const position = fields.position === undefined ? undefined : coercedIntColumn({ min: 0 }).safeParse(fields.position);
  if (position && !position.success) throw HttpProblem.fields(zodFieldErrors(position.error, 'body.position'));
  const preprocessing = fields.preprocessing === undefined ? undefined : parsePreprocessingField(fields.preprocessing);
  return { name: name.data, position: position?.data, preprocessing };
}

/** A multipart upload: multer writes the two files into a scratch folder of the artefact store (removed after). */
function createUploadedLayer(ctx: AppContext, modelId: string, req: Request, res: Response) {
  return withUploadScratch(ctx.config, async (dir) => {
    await runMulter(req, res, dir);
    const files = req.files as Record<string, Express.Multer.File[]> | undefined;
    const layer = uploadFields(req.body as Record<string, string>);
    const act = files?.activations?.[0];
    const ids = files?.stimulusIds?.[0];
    if (!act) throw HttpProblem.invalid('body.activations', 'file part is required');
    if (!ids) throw HttpProblem.invalid('body.stimulusIds', 'file part is required');
    return registerUploadedLayer(ctx.prisma, ctx.config, modelId, layer, {
      activations: { file: act.path, originalName: act.originalname },
      stimulusIds: { file: ids.path, originalName: ids.originalname },
    });
  });
}

function createLayerRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'post',
    path: '/v1/models/{id}/layers',
    operationId: 'createLayer',
    summary: "Register a layer's activations and their NSD stimulus ids (by path, or multipart upload)",
    description:
      'JSON body: files by path inside ALIGN_DATA_ROOTS, or by the id of a complete resumable upload (POST /v1/uploads; moved into the artefact store, the upload removed). multipart/form-data: fields name (and position), files activations and stimulusIds. The files are read and checked (shape, finite values, one unique nsdId per row) before the layer is stored.',
    tags: ['models'],
    access: 'write',
    params: IdParams,
    bodyContentTypes: { 'application/json': CreateLayerSchema, 'multipart/form-data': UploadLayerSchema },
    // Two files of at most MAX_UPLOAD_BYTES each, plus the form fields and boundaries.
    bodyLimits: { 'multipart/form-data': 2 * MAX_UPLOAD_BYTES + 1024 * 1024 },
    responses: { 201: { description: 'Registered', schema: LayerSchema } },
    problems: [409, 413],
    handler: async ({ params, req, res }) => {
      let layer: Layer;
      if (req.is('multipart/form-data')) layer = await createUploadedLayer(ctx, params.id, req, res);
      else {
        const parsed = CreateLayerSchema.safeParse(req.body ?? {});
        if (!parsed.success) throw HttpProblem.fields(zodFieldErrors(parsed.error, 'body'));
        layer = await registerLayerFromRefs(ctx.prisma, ctx.config, params.id, parsed.data);
      }
      return { status: 201, body: layerJson(layer), headers: { Location: `/v1/layers/${layer.id}` } };
    },
  });
}

export function layerRoutes(ctx: AppContext): RouteSpec[] {
  return [
    createLayerRoute(ctx),
    defineRoute({
      method: 'get',
      path: '/v1/layers/{id}',
      operationId: 'getLayer',
      summary: 'One layer',
      tags: ['models'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The layer', schema: LayerSchema } },
      handler: async ({ params }) => ({ body: layerJson(await getLayer(ctx.prisma, params.id)) }),
    }),
  ];
}
