/**
 * SAEs of a layer: train one (job, 202) or import trained weights (201), then read status, settings,
 * metrics and curves. Settings are validated against the layer's width before anything is written.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INT_COLUMN_RANGE, intColumn } from '../../db/columns';
import { resolveDataPath } from '../../nsd/paths';
import { importSae } from '../../sae/import';
import { serializeSae } from '../../sae/io';
import { resolveTrainSettings, SaePreprocessingSchema, SaeTrainSettingsSchema } from '../../sae/settings';
import { runInComputeThread } from '../../threads/compute-thread';
import { saeWeightsPath } from '../../jobs/handlers/train-sae';
import { loadLayerMatrix } from '../../services/inputs';
import { Prisma } from '../../db/client';
import { createOrReuse } from '../../services/idempotent';
import { requestHash } from '../../services/request-hash';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

export const ImportSaeSchema = z
  .object({
    weights: z
      .object({
        path: z
          .string()
          .min(1)
          .openapi({
            description:
              '.safetensors or .npz with W_enc (d x m), b_enc (m), W_dec (m x d), b_dec (d); PyTorch layout accepted',
          }),
        orientation: z
          .enum(['auto', 'math', 'torch'])
          .default('auto')
          .openapi({ description: 'math: W_enc d x m; torch: nn.Linear layout (m x d); auto: from the shapes' }),
        applyDecoderBiasToInput: z
          .boolean()
          .default(false)
          .openapi({ description: 'The SAE subtracts b_dec from its input before encoding (SAELens/OpenAI style)' }),
      })
      .strict(),
    k: intColumn({ min: 1 }).optional().openapi({ description: 'TopK k (default: from the file)' }),
    preprocessing: SaePreprocessingSchema.optional(),
  })
  .strict()
  .openapi('ImportSae');

export const TrainSaeSchema = SaeTrainSettingsSchema.openapi('TrainSaeSettings');

export const SaeSchema = z
  .object({
    id: UuidSchema,
    layerId: UuidSchema,
    origin: z.enum(['trained', 'imported']),
    status: z.enum(['pending', 'training', 'ready', 'failed', 'cancelled']),
    k: z.number().int(),
    latents: z.number().int(),
    settings: z.record(z.string(), z.unknown()),
    preprocessing: z.record(z.string(), z.unknown()),
    metrics: z
      .object({ fvu: z.number().nullable(), meanL0: z.number(), deadShare: z.number(), rows: z.number().int() })
      .passthrough()
      .nullable()
      .openapi({ description: 'Held-out FVU, mean L0 and dead-latent share (imports: on all of the layer)' }),
    curves: z
      .array(z.record(z.string(), z.unknown()))
      .nullable()
      .openapi({
        description: 'Per epoch: loss, auxLoss, heldOutFvu, heldOutMeanL0, heldOutDeadShare, trainDeadShare',
      }),
    error: z.string().nullable(),
    jobId: UuidSchema.nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Sae');

type SaeRow = {
  id: string;
  layerId: string;
  origin: string;
  status: 'pending' | 'training' | 'ready' | 'failed' | 'cancelled';
  k: number;
  latents: number;
  settings: unknown;
  preprocessing: unknown;
  metrics: unknown;
  curves: unknown;
  error: string | null;
  jobId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export function saeJson(s: SaeRow): z.infer<typeof SaeSchema> {
  return {
    id: s.id,
    layerId: s.layerId,
    origin: s.origin as 'trained' | 'imported',
    status: s.status,
    k: s.k,
    latents: s.latents,
    settings: s.settings as Record<string, unknown>,
    preprocessing: s.preprocessing as Record<string, unknown>,
    metrics: (s.metrics ?? null) as z.infer<typeof SaeSchema>['metrics'],
    curves: (s.curves ?? null) as Record<string, unknown>[] | null,
    error: s.error,
    jobId: s.jobId,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** Library errors name fields relative to their input ("k", "W_enc"); the API names them in the body. */
async function withFieldPrefix<T>(prefix: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { field?: string; reason?: string };
    if (typeof e?.field === 'string' && typeof e?.reason === 'string' && !e.field.startsWith('body.')) {
      throw HttpProblem.invalid(`${prefix}${e.field}`, e.reason);
    }
    throw err;
  }
}

export function saeRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/layers/{id}/saes',
      operationId: 'createSae',
      summary: 'Train a TopK SAE on the layer (202, a job) or import trained weights (201)',
      description:
        'Body with `weights`: import (W_enc, b_enc, W_dec, b_dec from .safetensors or .npz; shapes checked against the layer width). Otherwise the body is training settings (paper defaults: expansion 2, Adam lr 4e-4, betas (0.9, 0.999), eps 6.25e-10, batch 64, AuxK 1e-4); `k` is required.',
      tags: ['saes'],
      access: 'write',
      params: IdParams,
      body: z.union([ImportSaeSchema, TrainSaeSchema]),
      responses: {
        201: { description: 'Imported', schema: SaeSchema },
        202: { description: 'Training queued', schema: SaeSchema },
      },
      problems: [503],
      handler: async ({ params, body }) => {
        const layer = await ctx.prisma.layer.findUnique({ where: { id: params.id } });
        if (!layer) throw HttpProblem.notFound('layer', params.id);
        if ('weights' in body) {
          const file = resolveDataPath(
            ctx.config.dataRoots[0],
            body.weights.path,
            ctx.config.dataRoots,
            'body.weights.path',
          );
          const bytes = await readFile(file).catch(() => {
            throw HttpProblem.invalid('body.weights.path', 'file not found or unreadable', 'invalid-data');
          });
          const sae = await withFieldPrefix('body.', () =>
            importSae(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
              k: body.k,
              preprocessing: body.preprocessing,
              orientation: body.weights.orientation,
              applyDecoderBiasToInput: body.weights.applyDecoderBiasToInput,
              metadata: { source: path.basename(file) },
            }),
          );
          if (sae.inputDim !== layer.width)
            throw HttpProblem.invalid(
              'body.weights.path',
              `SAE input width ${sae.inputDim} differs from the layer width ${layer.width}`,
              'invalid-data',
            );
          const weights = serializeSae(sae);
          const { X } = await loadLayerMatrix(layer, ctx.config);
          const metrics = await runInComputeThread('evaluateSaeOn', { weights, X });
          const row = await ctx.prisma.sae.create({
            data: {
              layerId: layer.id,
              origin: 'imported',
              status: 'ready',
              settings: { import: body.weights, k: sae.k },
              k: sae.k,
              latents: sae.latentDim,
              preprocessing: sae.preprocessing as object,
              metrics: { ...metrics, evaluatedOn: 'layer' },
            },
          });
          const target = saeWeightsPath(ctx.config.dataDir, row.id);
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, weights);
          const done = await ctx.prisma.sae.update({ where: { id: row.id }, data: { weightsPath: target } });
          return { status: 201, body: saeJson(done), headers: { Location: `/v1/saes/${row.id}` } };
        }
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        const resolved = await withFieldPrefix('body.', () => resolveTrainSettings(body, layer.count, layer.width));
        if (resolved.latents > INT_COLUMN_RANGE.max)
          throw HttpProblem.invalid(
            'body.expansion',
            `gives ${resolved.latents} latents, more than ${INT_COLUMN_RANGE.max}`,
          );
        // Training is deterministic given the resolved settings (seed included): identical requests share one SAE.
        const hash = requestHash('train-sae', { layerId: layer.id, settings: resolved });
        const { row: queued } = await createOrReuse(ctx.prisma, ctx.jobs, 'train-sae', hash, {
          find: (tx) => tx.sae.findUnique({ where: { requestHash: hash } }),
          create: (tx) =>
            tx.sae.create({
              data: {
                layerId: layer.id,
                origin: 'trained',
                status: 'pending',
                settings: body as object,
                k: resolved.k,
                latents: resolved.latents,
                preprocessing: resolved.preprocessing as object,
                requestHash: hash,
              },
            }),
          reset: (tx, id) =>
            tx.sae.update({
              where: { id },
              data: {
                status: 'pending',
                error: null,
                metrics: Prisma.DbNull,
                curves: Prisma.DbNull,
                weightsPath: null,
              },
            }),
          attachJob: (tx, id, jobId) => tx.sae.update({ where: { id }, data: { jobId } }),
          job: (r) => ({ data: { saeId: r.id }, links: { saeId: r.id } }),
        });
        return { status: 202, body: saeJson(queued), headers: { Location: `/v1/saes/${queued.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/layers/{id}/saes',
      operationId: 'listLayerSaes',
      summary: "A layer's SAEs",
      tags: ['saes'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'SAEs, newest first', schema: z.object({ items: z.array(SaeSchema) }) } },
      handler: async ({ params }) => {
        if (!(await ctx.prisma.layer.count({ where: { id: params.id } })))
          throw HttpProblem.notFound('layer', params.id);
        const rows = await ctx.prisma.sae.findMany({ where: { layerId: params.id }, orderBy: { createdAt: 'desc' } });
        return { body: { items: rows.map(saeJson) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/saes/{id}',
      operationId: 'getSae',
      summary: 'One SAE: status, settings, metrics, curves',
      tags: ['saes'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The SAE', schema: SaeSchema } },
      handler: async ({ params }) => {
        const s = await ctx.prisma.sae.findUnique({ where: { id: params.id } });
        if (!s) throw HttpProblem.notFound('SAE', params.id);
        return { body: saeJson(s) };
      },
    }),
  ];
}
