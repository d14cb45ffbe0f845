/**
 * SAEs of a layer: train one (job, 202) or import trained weights (201: ready at once, metrics by an evaluate-sae
 * job), then read status, settings, metrics and curves. Settings are validated against the layer width first.
 */
import { intColumn } from '../../int-columns';
import { SaePreprocessingSchema, SaeTrainSettingsSchema } from '../../sae/settings';
import { getSae, importLayerSae, listLayerSaes, queueSaeTraining, type Sae } from '../../services/saes';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

export const ImportSaeSchema = z
  .object({
    weights: z
      .object({
        path: z.string().min(1).openapi({
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
      .openapi({
        description:
          'Held-out FVU, mean L0 and dead-latent share (imports: on all of the layer, null until the evaluation job jobId completes)',
      }),
    curves: z.array(z.record(z.string(), z.unknown())).nullable().openapi({
      description: 'Per epoch: loss, auxLoss, heldOutFvu, heldOutMeanL0, heldOutDeadShare, trainDeadShare',
    }),
    error: z.string().nullable(),
    jobId: UuidSchema.nullable().openapi({
      description: 'The job that trains it (trained) or computes its metrics (imported): GET /v1/jobs/{jobId}',
    }),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Sae');

export function saeJson(s: Sae): z.infer<typeof SaeSchema> {
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

function createSaeRoute(ctx: AppContext): RouteSpec {
  return defineRoute({
    method: 'post',
    path: '/v1/layers/{id}/saes',
    operationId: 'createSae',
    summary: 'Train a TopK SAE on the layer (202, a job) or import trained weights (201)',
    description:
      'Body with `weights`: import (W_enc, b_enc, W_dec, b_dec from .safetensors or .npz; shapes checked against the layer width). The imported SAE is ready at once; its metrics on the layer are computed by the job `jobId` (an evaluate-sae job) and are null until it completes. Otherwise the body is training settings (paper defaults: expansion 2, Adam lr 4e-4, betas (0.9, 0.999), eps 6.25e-10, batch 64, AuxK 1e-4); `k` is required.',
    tags: ['saes'],
    access: 'write',
    params: IdParams,
    body: z.union([ImportSaeSchema, TrainSaeSchema]),
    responses: {
      201: { description: 'Imported (ready; metrics follow from the evaluation job jobId)', schema: SaeSchema },
      202: { description: 'Training queued', schema: SaeSchema },
    },
    problems: [503],
    handler: async ({ params, body }) => {
      if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
      const imported = 'weights' in body;
      const sae = imported
        ? await importLayerSae(ctx.prisma, ctx.jobs, ctx.config, params.id, body)
        : await queueSaeTraining(ctx.prisma, ctx.jobs, params.id, body);
      return { status: imported ? 201 : 202, body: saeJson(sae), headers: { Location: `/v1/saes/${sae.id}` } };
    },
  });
}

export function saeRoutes(ctx: AppContext): RouteSpec[] {
  return [
    createSaeRoute(ctx),
    defineRoute({
      method: 'get',
      path: '/v1/layers/{id}/saes',
      operationId: 'listLayerSaes',
      summary: "A layer's SAEs",
      tags: ['saes'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'SAEs, newest first', schema: z.object({ items: z.array(SaeSchema) }) } },
      handler: async ({ params }) => ({ body: { items: (await listLayerSaes(ctx.prisma, params.id)).map(saeJson) } }),
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
      handler: async ({ params }) => ({ body: saeJson(await getSae(ctx.prisma, params.id)) }),
    }),
  ];
}
