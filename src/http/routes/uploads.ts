/**
 * Resumable uploads (services/uploads.ts): create one with its length, send it in pieces with Content-Range (each
 * a request within the ordinary time limit), ask for the offset after a failure, then register a layer from its id
 * (POST /v1/models/{id}/layers with `activations: {upload: id}`).
 */
import {
  appendUploadPiece,
  createUpload,
  deleteUpload,
  getUpload,
  MAX_UPLOAD_BYTES,
  MAX_UPLOAD_PIECE_BYTES,
  type PieceRange,
  type Upload,
} from '../../services/uploads';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

export const CreateUploadSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: "The file's name: its extension picks the reader (.npy, .json, .csv, .h5)" }),
    length: z.number().int().min(1).max(MAX_UPLOAD_BYTES).openapi({ description: 'The whole file, in bytes' }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
      .optional()
      .openapi({ description: "The file's sha256, checked before the upload is used" }),
  })
  .strict()
  .openapi('CreateUpload');

export const UploadSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    length: z.number().int(),
    offset: z.number().int().openapi({ description: 'Bytes received: the next piece starts here' }),
    complete: z.boolean(),
    sha256: z.string().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('Upload');

function uploadJson(u: Upload): z.infer<typeof UploadSchema> {
  return {
    id: u.id,
    name: u.name,
    length: u.length,
    offset: u.offset,
    complete: u.offset === u.length,
    sha256: u.sha256,
    createdAt: u.createdAt.toISOString(),
  };
}

/** Content-Range `bytes first-last/total`, consistent with the declared Content-Length. */
function pieceRange(header: string | undefined, contentLength: string | undefined): PieceRange {
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec((header ?? '').trim());
  if (!m) throw HttpProblem.invalid('headers.content-range', 'required, as "bytes first-last/total"');
  const [first, last, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (last < first) throw HttpProblem.invalid('headers.content-range', 'last byte before first');
  if (contentLength !== undefined && Number(contentLength) !== last - first + 1)
    throw HttpProblem.invalid('headers.content-length', `must be ${last - first + 1}, the bytes Content-Range gives`);
  return { first, last, total };
}

export function uploadRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/uploads',
      operationId: 'createUpload',
      summary: 'Start a resumable upload (a file up to 2 GiB, sent in pieces)',
      tags: ['models'],
      access: 'write',
      body: CreateUploadSchema,
      responses: { 201: { description: 'Created; send the pieces with PUT', schema: UploadSchema } },
      handler: async ({ body }) => {
        const u = await createUpload(ctx.config, body);
        return { status: 201, body: uploadJson(u), headers: { Location: `/v1/uploads/${u.id}` } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/uploads/{id}',
      operationId: 'putUploadPiece',
      summary: 'Send one piece (Content-Range: bytes first-last/total, first = the offset received so far)',
      description: `At most ${MAX_UPLOAD_PIECE_BYTES} bytes per piece. A piece that does not start at the upload's offset gets 409 naming the offset; after a broken connection, GET the upload and go on from its offset.`,
      tags: ['models'],
      access: 'write',
      params: IdParams,
      bodyContentTypes: { 'application/octet-stream': z.string().openapi({ format: 'binary' }) },
      bodyLimits: { 'application/octet-stream': MAX_UPLOAD_PIECE_BYTES },
      responses: { 200: { description: 'The upload after this piece', schema: UploadSchema } },
      problems: [409, 413],
      handler: async ({ params, req }) => {
        const range = pieceRange(req.headers['content-range'], req.headers['content-length']);
        if (range.last - range.first + 1 > MAX_UPLOAD_PIECE_BYTES)
          throw new HttpProblem('payload-too-large', `a piece may hold at most ${MAX_UPLOAD_PIECE_BYTES} bytes`);
        return { body: uploadJson(await appendUploadPiece(ctx.config, params.id, range, req)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/uploads/{id}',
      operationId: 'getUpload',
      summary: 'A resumable upload: its length and the bytes received',
      tags: ['models'],
      access: 'write',
      params: IdParams,
      responses: { 200: { description: 'The upload', schema: UploadSchema } },
      handler: async ({ params }) => ({ body: uploadJson(await getUpload(ctx.config, params.id)) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/uploads/{id}',
      operationId: 'deleteUpload',
      summary: 'Abandon a resumable upload (its bytes are removed)',
      tags: ['models'],
      access: 'write',
      params: IdParams,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ params }) => {
        await deleteUpload(ctx.config, params.id);
        return { status: 204 };
      },
    }),
  ];
}
