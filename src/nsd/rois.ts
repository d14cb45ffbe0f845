/**
 * ROI atlases: integer NIfTI volumes with -1 (outside the surface-covered cortex), 0 (unlabelled) and
 * labels > 0; bilateral and lh./rh. variants; selections as one label or a union, optionally within nsdgeneral.
 */
import { DataValidationError } from '../errors';
import { readNiftiImage } from '../io/nifti';
import { atlasLabels } from './manifest';
import { atlasPath, type NsdDataset } from './dataset';
import { maskToIndices, sameShape, type VolumeShape } from './voxels';

export type Hemisphere = 'both' | 'lh' | 'rh';

export interface RoiVolume {
  shape: VolumeShape;
  /** Integer labels, x fastest. */
  labels: Int32Array;
}

/**
 * Read an integer ROI volume. Float-stored volumes are accepted when every value is an integer.
 * @param expectedShape when given, a different (X, Y, Z) raises DataValidationError naming `field`.
 */
export async function readRoiVolume(file: string, field: string, expectedShape?: VolumeShape): Promise<RoiVolume> {
  const img = await readNiftiImage(file, field);
  const s = img.info.shape;
  if (s.length !== 3) throw new DataValidationError(field, `ROI volume must be 3-D, got shape [${s}]`);
  const shape: VolumeShape = [s[0], s[1], s[2]];
  if (expectedShape && !sameShape(shape, expectedShape)) {
    throw new DataValidationError(
      field,
      `ROI volume is ${shape.join('x')} but the betas volume is ${expectedShape.join('x')}`,
    );
  }
  const labels = new Int32Array(img.data.length);
  const { sclSlope, sclInter } = img.info;
  for (let i = 0; i < labels.length; i++) {
    const v = img.data[i] * sclSlope + sclInter;
    if (!Number.isInteger(v))
      throw new DataValidationError(field, `ROI volume holds a non-integer value ${v} at voxel ${i}`);
    labels[i] = v;
  }
  return { shape, labels };
}

/** Voxel count per label value (> 0) in a volume. */
export function labelCounts(labels: Int32Array): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v > 0) out.set(v, (out.get(v) ?? 0) + 1);
  }
  return out;
}

/** One ROI selection request. */
export interface RoiSelection {
  atlas: string;
  /** Label values or names from the atlas label table; the union is selected. */
  labels: (number | string)[];
  hemisphere?: Hemisphere;
  /** Intersect with nsdgeneral (needs an atlas named "nsdgeneral" in the manifest). */
  withinNsdgeneral?: boolean;
}

/** Label names/values -> values, via the atlas label table. Unknown names raise DataValidationError("roi.labels[i]"). */
export function resolveLabelValues(ds: NsdDataset, atlas: string, labels: (number | string)[]): number[] {
  const spec = ds.manifest.atlases.find((a) => a.name === atlas);
  if (!spec) throw new DataValidationError('roi.atlas', `dataset has no atlas "${atlas}"`);
  if (labels.length === 0) throw new DataValidationError('roi.labels', 'select at least one label');
  const table = atlasLabels(spec);
  const byName = new Map(Object.entries(table).map(([v, n]) => [n, Number(v)]));
  return labels.map((l, i) => {
    if (typeof l === 'number') {
      if (!table[String(l)]) throw new DataValidationError(`roi.labels[${i}]`, `atlas "${atlas}" has no label ${l}`);
      return l;
    }
    const v = byName.get(l) ?? (/^\d+$/.test(l) && table[l] ? Number(l) : undefined);
    if (v === undefined) throw new DataValidationError(`roi.labels[${i}]`, `atlas "${atlas}" has no label "${l}"`);
    return v;
  });
}

export interface RoiMask {
  shape: VolumeShape;
  /** Sorted flat voxel indices (x fastest) in the selection. */
  voxelIndices: Int32Array;
}

/**
 * Voxels of an ROI selection for one subject.
 * @param volumeShape the betas volume shape; ROI volumes of another shape raise DataValidationError.
 */
export async function loadRoiMask(
  ds: NsdDataset,
  subject: number,
  sel: RoiSelection,
  volumeShape?: VolumeShape,
): Promise<RoiMask> {
  const values = new Set(resolveLabelValues(ds, sel.atlas, sel.labels));
  const hemi = sel.hemisphere ?? 'both';
  const ai = ds.manifest.atlases.findIndex((a) => a.name === sel.atlas);
  if (hemi !== 'both' && !ds.manifest.atlases[ai].hemispheres) {
    throw new DataValidationError('roi.hemisphere', `atlas "${sel.atlas}" has no lh/rh variants`);
  }
  const field = `manifest.atlases[${ai}].file`;
  const vol = await readRoiVolume(atlasPath(ds, sel.atlas, subject, hemi === 'both' ? '' : hemi), field, volumeShape);
  const mask = new Uint8Array(vol.labels.length);
  for (let i = 0; i < mask.length; i++) mask[i] = values.has(vol.labels[i]) ? 1 : 0;
  if (sel.withinNsdgeneral) {
    const gi = ds.manifest.atlases.findIndex((a) => a.name === 'nsdgeneral');
    if (gi < 0) throw new DataValidationError('roi.withinNsdgeneral', 'dataset has no nsdgeneral atlas');
    const gen = await readRoiVolume(
      atlasPath(ds, 'nsdgeneral', subject, ''),
      `manifest.atlases[${gi}].file`,
      vol.shape,
    );
    for (let i = 0; i < mask.length; i++) if (gen.labels[i] <= 0) mask[i] = 0;
  }
  return { shape: vol.shape, voxelIndices: maskToIndices(mask) };
}
