/**
 * Networks and extractions: a model's ONNX network (by path inside ALIGN_DATA_ROOTS or multipart upload, kept in the
 * artefact store by hash), and extraction jobs that run it over a dataset's stimuli and register each tapped
 * tensor as a layer.
 */
import type { Request, Response } from 'express';
import multer from 'multer';
import { POOLINGS } from '../../extract/pooling';
import {
  type Extraction,
  type ExtractionRequest,
  getExtraction,
  listModelExtractions,
  queueExtraction,
} from '../../services/extractions';
import { withUploadScratch } from '../../services/layers';
import { attachNetworkFromPath, attachUploadedNetwork, getNetwork, type NetworkView } from '../../services/networks';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem, zodFieldErrors } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

const MAX_NETWORK_BYTES = 2 * 1024 ** 3;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const AttachNetworkSchema = z
  .object({
    path: z.string().min(1).openapi({ description: 'ONNX file (absolute, or relative to the first data root)' }),
  })
  .strict()
  .openapi('AttachNetwork');

const UploadNetworkSchema = z
  .object({ network: z.string().openapi({ format: 'binary', description: '.onnx file' }) })
  .openapi('UploadNetwork');

const NetworkSchema = z
  .object({
    modelId: UuidSchema,
    key: z.string().openapi({ description: 'Artefact store key of the ONNX file (sha256:<hex>.onnx)' }),
    name: z.string().openapi({ description: 'File name as given' }),
    inputs: z.array(z.object({ name: z.string(), dims: z.array(z.union([z.number().int(), z.string()])) })),
    outputs: z.array(z.string()),
    tensors: z
      .array(z.string())
      .openapi({ description: 'Every tensor a node produces, in graph order: what a layer may tap' }),
  })
  .openapi('Network');

const ChannelTriple = z.array(z.number().finite()).length(3);
const side = z.number().int().min(1).max(4096);

const PreprocessingSchema = z
  .object({
    resize: side
      .nullable()
      .default(256)
      .openapi({ description: 'Shorter side after resizing (bilinear, antialiased); null: none' }),
    crop: side.nullable().default(224).openapi({ description: 'Side of the centre square kept; null: none' }),
    mean: ChannelTriple.default(IMAGENET.mean).openapi({ description: 'Per RGB channel, on [0, 1] images' }),
    std: z.array(z.number().positive()).length(3).default(IMAGENET.std),
  })
  .strict()
  .openapi('ExtractionPreprocessing', {
    description:
      "torchvision's Resize(resize), CenterCrop(crop), ToTensor, Normalize(mean, std); defaults: the authors' (256, 224, ImageNet)",
  });

const ExtractionLayerSchema = z
  .object({
    tensor: z.string().min(1).openapi({ description: 'ONNX tensor name (GET /v1/models/{id}/network lists them)' }),
    name: z.string().trim().min(1).max(200).openapi({ description: 'Name of the layer it registers' }),
    pooling: z.enum(POOLINGS).default('centre').openapi({
      description:
        "Over positions: 'centre' (the authors' choice: the [H//2, W//2] unit of each channel; tokens: the centre patch), 'mean', 'max', 'flatten' (every position), 'cls' (tokens: the class token). N x D tensors are kept as they are.",
    }),
  })
  .strict();

const CreateExtractionSchema = z
  .object({
    datasetId: UuidSchema,
    subjects: z
      .array(z.string().regex(/^subj\d+$/))
      .min(1)
      .optional()
      .openapi({ description: 'Every image these subjects saw (e.g. ["subj01"])' }),
    nsdIds: z
      .array(z.number().int().min(0))
      .min(1)
      .max(73_000)
      .optional()
      .openapi({ description: '0-based nsdIds (the index into the 73k images)' }),
    layers: z.array(ExtractionLayerSchema).min(1).max(64),
    preprocessing: PreprocessingSchema.default({ resize: 256, crop: 224, ...IMAGENET }),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(512)
      .default(16)
      .openapi({ description: 'Images per network run (memory; not part of the result)' }),
  })
  .strict()
  .refine((b) => (b.subjects === undefined) !== (b.nsdIds === undefined), {
    message: 'give either subjects or nsdIds',
    path: ['subjects'],
  })
  .openapi('CreateExtraction');

const ExtractionSchema = z
  .object({
    id: UuidSchema,
    modelId: UuidSchema,
    datasetId: UuidSchema,
    networkKey: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    error: z.string().nullable(),
    jobId: UuidSchema.nullable().openapi({ description: 'The extraction job: GET /v1/jobs/{jobId} for progress' }),
    stimulusCount: z.number().int(),
    subjects: z.array(z.string()).nullable(),
    layers: z.array(ExtractionLayerSchema),
    preprocessing: PreprocessingSchema,
    layerIds: z.array(UuidSchema).openapi({ description: 'The layers registered so far, in request order' }),
    createdAt: z.string().datetime(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi('Extraction');

function extractionJson(e: Extraction): z.infer<typeof ExtractionSchema> {
  const r = e.request as unknown as Pick<ExtractionRequest, 'layers' | 'preprocessing'> & { subjects: string[] | null };
  return {
    id: e.id,
    modelId: e.modelId,
    datasetId: e.datasetId,
    networkKey: e.networkKey,
    status: e.status as z.infer<typeof ExtractionSchema>['status'],
    error: e.error,
    jobId: e.jobId,
    stimulusCount: e.stimulusCount,
    subjects: r.subjects,
    layers: r.layers,
    preprocessing: { ...r.preprocessing, mean: [...r.preprocessing.mean], std: [...r.preprocessing.std] },
    layerIds: e.layerIds,
    createdAt: e.createdAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
  };
}

function runMulter(req: Request, res: Response, dir: string): Promise<void> {
  const upload = multer({ dest: dir, limits: { fileSize: MAX_NETWORK_BYTES, files: 1, fields: 2 } }).single('network');
  return new Promise((resolve, reject) =>
    upload(req, res, (err: unknown) => {
      if (!err) return resolve();
      const e = err as { code?: string; field?: string; message?: string };
      if (e.code === 'LIMIT_FILE_SIZE')
        return reject(new HttpProblem('payload-too-large', `upload exceeds ${MAX_NETWORK_BYTES} bytes`));
      reject(HttpProblem.invalid(`body.${e.field ?? 'network'}`, e.message ?? 'bad multipart upload'));
    }),
  );
}

async function attachNetwork(ctx: AppContext, modelId: string, req: Request, res: Response): Promise<NetworkView> {
  if (!req.is('multipart/form-data')) {
    const parsed = AttachNetworkSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw HttpProblem.fields(zodFieldErrors(parsed.error, 'body'));
    return attachNetworkFromPath(ctx.prisma, ctx.config, modelId, parsed.data.path);
  }
  return withUploadScratch(ctx.config, async (dir) => {
    await runMulter(req, res, dir);
    const file = req.file;
    if (!file) throw HttpProblem.invalid('body.network', 'file part is required');
    return attachUploadedNetwork(ctx.prisma, ctx.config, modelId, { file: file.path, originalName: file.originalname });
  });
}

function networkRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'put',
      path: '/v1/models/{id}/network',
      operationId: 'attachNetwork',
      summary: 'Give the model an ONNX network (by path, or multipart upload), kept in the artefact store by hash',
      description:
        'JSON body: {path} inside ALIGN_DATA_ROOTS. multipart/form-data: file `network`. The graph must take one N x 3 x H x W image input. Replaces an earlier network; layers already extracted stay.',
      tags: ['models'],
      access: 'write',
      params: IdParams,
      bodyContentTypes: { 'application/json': AttachNetworkSchema, 'multipart/form-data': UploadNetworkSchema },
      bodyLimits: { 'multipart/form-data': MAX_NETWORK_BYTES + 1024 * 1024 },
      responses: { 200: { description: 'The network', schema: NetworkSchema } },
      problems: [413],
      handler: async ({ params, req, res }) => ({ body: await attachNetwork(ctx, params.id, req, res) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/models/{id}/network',
      operationId: 'getNetwork',
      summary: "The model's network: inputs, outputs and the tensors a layer may tap",
      tags: ['models'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The network', schema: NetworkSchema } },
      problems: [409],
      handler: async ({ params }) => ({ body: await getNetwork(ctx.prisma, ctx.config, params.id) }),
    }),
  ];
}

export function extractionRoutes(ctx: AppContext): RouteSpec[] {
  return [
    ...networkRoutes(ctx),
    defineRoute({
      method: 'post',
      path: '/v1/models/{id}/extractions',
      operationId: 'createExtraction',
      summary: "Run the model's network over a dataset's stimuli and register each tapped tensor as a layer (a job)",
      description:
        "Images: the dataset's nsd_stimuli.hdf5 (imgBrick), by 0-based nsdId; `subjects` takes every image they saw. Each layer taps an ONNX tensor (unknown names are answered with the available ones), pools its positions, and becomes a layer of this model with the images' nsdIds. Identical requests (same network, stimuli, layers, preprocessing) share one extraction.",
      tags: ['models'],
      access: 'write',
      params: IdParams,
      body: CreateExtractionSchema,
      responses: { 202: { description: 'Queued (or the identical earlier extraction)', schema: ExtractionSchema } },
      problems: [409, 503],
      handler: async ({ params, body }) => {
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        const ex = await queueExtraction(ctx.prisma, ctx.jobs, ctx.config, params.id, body as ExtractionRequest);
        return { status: 202, body: extractionJson(ex), headers: { Location: `/v1/extractions/${ex.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/models/{id}/extractions',
      operationId: 'listExtractions',
      summary: "The model's extractions, newest first",
      tags: ['models'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'Extractions', schema: z.object({ items: z.array(ExtractionSchema) }) } },
      handler: async ({ params }) => ({
        body: { items: (await listModelExtractions(ctx.prisma, params.id)).map(extractionJson) },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/extractions/{id}',
      operationId: 'getExtraction',
      summary: 'One extraction: its state and the layers it registered',
      tags: ['models'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The extraction', schema: ExtractionSchema } },
      handler: async ({ params }) => ({ body: extractionJson(await getExtraction(ctx.prisma, params.id)) }),
    }),
  ];
}
