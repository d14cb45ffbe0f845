/**
 * Subject volumes for viewers: the brain mask as a gzipped NIfTI-1 in the subject's space, the background the
 * dashboard draws voxel scores on (run voxel maps are in the same space).
 */
import { gzipSync } from 'node:zlib';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { NotFoundError } from '../errors';
import { openDataset } from './inputs';
import { encodeNifti1 } from '../io/nifti-encode';
import { loadBrainMask } from '../nsd/volumes';

/** `subject` is a label like subj01. */
export async function subjectBrainMaskNiftiGz(
  prisma: Db,
  config: Config,
  datasetId: string,
  subject: string,
): Promise<Buffer> {
  const row = await prisma.subject.findFirst({ where: { datasetId, label: subject }, select: { volumeShape: true } });
  if (!row) {
    if (!(await prisma.dataset.count({ where: { id: datasetId } }))) throw new NotFoundError('dataset', datasetId);
    throw new NotFoundError('subject', subject);
  }
  const ds = await openDataset(prisma, config, datasetId);
  if (!ds.manifest.brainMask)
    throw new NotFoundError('the dataset manifest declares no brain mask (manifest.brainMask)');
  const [X, Y, Z] = row.volumeShape;
  const { shape, mask } = await loadBrainMask(ds, Number(subject.slice(4)), [X, Y, Z]);
  return gzipSync(encodeNifti1(mask, shape));
}
