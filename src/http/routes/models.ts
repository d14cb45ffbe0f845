import { createModel, getModel, listModels } from '../../services/models';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, page, PageQuery, UuidSchema } from '../schemas/common';

export const CreateModelSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[\w.:/+-]+$/, 'letters, digits and . _ : / + - only')
      .openapi({ example: 'resnet50-imagenet' }),
    description: z.string().max(2000).optional(),
  })
  .strict()
  .openapi('CreateModel');

export const LayerSummarySchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    position: z.number().int(),
    width: z.number().int().openapi({ description: 'Units (columns) in the activation matrix' }),
    count: z.number().int().openapi({ description: 'Stimuli (rows)' }),
    dtype: z.string(),
  })
  .openapi('LayerSummary');

export const ModelSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    description: z.string().nullable(),
    createdAt: z.string().datetime(),
    network: z.object({ key: z.string(), name: z.string() }).nullable().openapi({
      description: 'Its ONNX network (artefact store key and file name), or null: GET /v1/models/{id}/network',
    }),
    layers: z.array(LayerSummarySchema),
  })
  .openapi('Model');

type ModelRow = {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  networkKey: string | null;
  networkName: string | null;
  layers: { id: string; name: string; position: number; width: number; count: number; dtype: string }[];
};

export function modelJson(m: ModelRow): z.infer<typeof ModelSchema> {
  return {
    id: m.id,
    name: m.name,
    description: m.description,
    createdAt: m.createdAt.toISOString(),
    network: m.networkKey ? { key: m.networkKey, name: m.networkName ?? 'network.onnx' } : null,
    layers: m.layers.map((l) => ({
      id: l.id,
      name: l.name,
      position: l.position,
      width: l.width,
      count: l.count,
      dtype: l.dtype,
    })),
  };
}

export function modelRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/models',
      operationId: 'createModel',
      summary: 'Register a model (a network whose layers will be compared with the brain)',
      tags: ['models'],
      access: 'write',
      body: CreateModelSchema,
      responses: { 201: { description: 'Created', schema: ModelSchema } },
      problems: [409],
      handler: async ({ body }) => {
        const m = await createModel(ctx.prisma, body);
        return { status: 201, body: modelJson(m), headers: { Location: `/v1/models/${m.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/models',
      operationId: 'listModels',
      summary: 'List models with their layers',
      tags: ['models'],
      access: 'read',
      query: PageQuery,
      responses: { 200: { description: 'Models', schema: page(ModelSchema).openapi('ModelPage') } },
      handler: async ({ query }) => {
        const { items, total } = await listModels(ctx.prisma, query);
        return { body: { items: items.map(modelJson), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/models/{id}',
      operationId: 'getModel',
      summary: 'One model with its layers',
      tags: ['models'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The model', schema: ModelSchema } },
      handler: async ({ params }) => ({ body: modelJson(await getModel(ctx.prisma, params.id)) }),
    }),
  ];
}
