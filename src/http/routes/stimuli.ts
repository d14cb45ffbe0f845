/**
 * A subject's stimuli: which images it saw (0-based nsdIds) and the images themselves, so that a client can
 * extract features for exactly the ids a layer must carry.
 */
import { coercedIntColumn } from '../../int-columns';
import { listSubjectStimuli, stimulusImagePng } from '../../services/stimuli';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { page, PageQuery, UuidSchema } from '../schemas/common';

const SubjectParams = z.object({
  id: UuidSchema,
  subject: z
    .string()
    .regex(/^subj\d{2}$/, 'a subject label like subj01')
    .openapi({ example: 'subj01' }),
});

const NSD_ID_DESCRIPTION =
  "0-based nsdId: the `nsdId` column of nsd_stim_info_merged.csv and the row of nsd_stimuli.hdf5's imgBrick (0..72999). NOT the 1-based 73k id of nsd_expdesign.mat (73k id = nsdId + 1). Layers' stimulus ids use this convention.";

export const StimulusSchema = z
  .object({
    nsdId: z.number().int().min(0).max(72999).openapi({ description: NSD_ID_DESCRIPTION, example: 2950 }),
    shared1000: z.boolean().openapi({ description: 'One of the 1,000 images every NSD subject saw' }),
    presentations: z
      .number()
      .int()
      .openapi({ description: "Trials that showed the image in the subject's registered sessions (1 to 3 in NSD)" }),
  })
  .openapi('Stimulus');

const StimuliQuery = PageQuery.extend({
  shared1000: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Only the shared 1,000 images (true) or only the others (false); absent: all' }),
});

const StimulusParams = SubjectParams.extend({
  nsdId: coercedIntColumn({ min: 0, max: 72999 }).openapi({ description: NSD_ID_DESCRIPTION, example: 2950 }),
});

export function stimulusRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/datasets/{id}/subjects/{subject}/stimuli',
      operationId: 'listSubjectStimuli',
      summary: "A subject's stimuli: the images it saw in its registered sessions, ascending nsdId",
      description: `Ids are ${NSD_ID_DESCRIPTION} A layer registered for this subject should carry these ids (its rows are matched to them; runs and studies are refused below minStimuli shared images).`,
      tags: ['datasets'],
      access: 'read',
      params: SubjectParams,
      query: StimuliQuery,
      responses: { 200: { description: 'Stimuli', schema: page(StimulusSchema).openapi('StimulusPage') } },
      handler: async ({ params, query }) => {
        const shared1000 = query.shared1000 === undefined ? undefined : query.shared1000 === 'true';
        const { items, total } = await listSubjectStimuli(ctx.prisma, ctx.config, params.id, params.subject, {
          limit: query.limit,
          offset: query.offset,
          shared1000,
        });
        return { body: { items, total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/datasets/{id}/subjects/{subject}/stimuli/{nsdId}',
      operationId: 'getStimulusImage',
      summary: 'One image the subject saw, as PNG (425 x 425 RGB in NSD)',
      description:
        "Read from the dataset's stimulus image file (manifest.stimulusImages, nsd_stimuli.hdf5). 404 when the subject saw no such image or the file is not on disk. Carries a strong ETag; If-None-Match answers 304.",
      tags: ['datasets'],
      access: 'read',
      params: StimulusParams,
      responses: { 200: { description: 'image/png', contentType: 'image/png' } },
      handler: async ({ params, req }) => {
        const { png, etag } = await stimulusImagePng(ctx.prisma, ctx.config, params.id, params.subject, params.nsdId);
        const headers = { ETag: etag, 'Cache-Control': 'private, max-age=86400' };
        if (req.headers['if-none-match'] === etag) return { status: 304, headers };
        return { body: png, headers: { ...headers, 'Content-Type': 'image/png' } };
      },
    }),
  ];
}
