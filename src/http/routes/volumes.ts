/**
 * Subject volumes for viewers: the brain mask as a NIfTI in the subject's space, the background the
 * dashboard draws voxel scores on (GET /v1/runs/{id}/voxels?format=nifti is in the same space).
 */
import { gzipSync } from 'node:zlib';
import { openDataset } from '../../services/inputs';
import { encodeNifti1 } from '../../io/nifti-encode';
import { loadBrainMask } from '../../nsd/volumes';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { UuidSchema } from '../schemas/common';

const SubjectParams = z.object({
  id: UuidSchema,
  subject: z
    .string()
    .regex(/^subj\d{2}$/, 'a subject label like subj01')
    .openapi({ example: 'subj01' }),
});

export function volumeRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/datasets/{id}/subjects/{subject}/brainmask',
      operationId: 'getBrainMask',
      summary: "A subject's brain mask (gzipped NIfTI-1, uint8, 1 = brain) in the space of its voxel maps",
      tags: ['datasets'],
      access: 'read',
      params: SubjectParams,
      responses: { 200: { description: 'application/gzip (NIfTI-1 .nii.gz)', contentType: 'application/gzip' } },
      handler: async ({ params }) => {
        const subject = await ctx.prisma.subject.findFirst({
          where: { datasetId: params.id, label: params.subject },
          select: { volumeShape: true },
        });
        if (!subject) {
          if (!(await ctx.prisma.dataset.count({ where: { id: params.id } })))
            throw HttpProblem.notFound('dataset', params.id);
          throw HttpProblem.notFound('subject', params.subject);
        }
        const ds = await openDataset(ctx.prisma, ctx.config, params.id);
        if (!ds.manifest.brainMask)
          throw new HttpProblem('not-found', 'the dataset manifest declares no brain mask (manifest.brainMask)');
        const [X, Y, Z] = subject.volumeShape;
        const { shape, mask } = await loadBrainMask(ds, Number(params.subject.slice(4)), [X, Y, Z]);
        return {
          body: gzipSync(encodeNifti1(mask, shape)),
          headers: {
            'Content-Type': 'application/gzip',
            'Content-Disposition': `attachment; filename="${params.subject}-brainmask.nii.gz"`,
            'Cache-Control': 'max-age=3600',
          },
        };
      },
    }),
  ];
}
