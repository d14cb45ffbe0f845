/** Per-voxel volumes other than betas: ncsnr and the brain mask. */
import { DataValidationError } from '../errors';
import { datasetPath, type NsdDataset } from './dataset';
import { readNiftiImage } from '../io/nifti';
import { subjectName } from './paths';
import { sameShape, type VolumeShape } from './voxels';

async function readVolumeAt(
  file: string,
  field: string,
  voxelIndices: Int32Array | undefined,
  volumeShape?: VolumeShape,
): Promise<{ shape: VolumeShape; values: Float32Array }> {
  const img = await readNiftiImage(file, field);
  const s = img.info.shape;
  if (s.length !== 3) throw new DataValidationError(field, `expected a 3-D volume, got shape [${s}]`);
  const shape: VolumeShape = [s[0], s[1], s[2]];
  if (volumeShape && !sameShape(shape, volumeShape))
    throw new DataValidationError(
      field,
      `volume is ${shape.join('x')} but the betas volume is ${volumeShape.join('x')}`,
    );
  const { sclSlope, sclInter } = img.info;
  const idx = voxelIndices ?? Int32Array.from({ length: img.data.length }, (_, i) => i);
  const values = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) values[k] = img.data[idx[k]] * sclSlope + sclInter;
  return { shape, values };
}

/**
 * ncsnr at the given voxels (all voxels when omitted), from the manifest's ncsnr volume.
 * @throws DataValidationError("manifest.ncsnr") when the manifest has none or the volume's shape differs.
 */
export async function loadNcsnr(
  ds: NsdDataset,
  subject: number,
  voxelIndices?: Int32Array,
  volumeShape?: VolumeShape,
): Promise<Float32Array> {
  const tpl = ds.manifest.ncsnr;
  if (!tpl) throw new DataValidationError('manifest.ncsnr', 'dataset has no ncsnr volume');
  const file = datasetPath(ds, tpl, { subject: subjectName(subject) }, 'manifest.ncsnr');
  return (await readVolumeAt(file, 'manifest.ncsnr', voxelIndices, volumeShape)).values;
}

/** Brain mask (1 = brain) as a full volume, x fastest. */
export async function loadBrainMask(
  ds: NsdDataset,
  subject: number,
  volumeShape?: VolumeShape,
): Promise<{ shape: VolumeShape; mask: Uint8Array }> {
  const tpl = ds.manifest.brainMask;
  if (!tpl) throw new DataValidationError('manifest.brainMask', 'dataset has no brain mask');
  const file = datasetPath(ds, tpl, { subject: subjectName(subject) }, 'manifest.brainMask');
  const { shape, values } = await readVolumeAt(file, 'manifest.brainMask', undefined, volumeShape);
  return { shape, mask: Uint8Array.from(values, (v) => (v > 0 ? 1 : 0)) };
}
