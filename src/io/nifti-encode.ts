/**
 * NIfTI-1 encoder without Node dependencies, so the service and the dashboard (web/) share it: the
 * dashboard builds ROI label volumes for NiiVue from /v1/runs/{id}/voxels?format=json.
 */
export type NiftiWritable = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** Typed array constructor -> [NIfTI datatype code, bits per voxel]. */
const CODE = new Map<unknown, [number, number]>([
  [Uint8Array, [2, 8]],
  [Int16Array, [4, 16]],
  [Int32Array, [8, 32]],
  [Float32Array, [16, 32]],
  [Float64Array, [64, 64]],
]);

export interface NiftiWriteOptions {
  /** Voxel size in mm (default 1.8). */
  voxelSize?: number;
  /** scl_slope / scl_inter (default 1 / 0). */
  sclSlope?: number;
  sclInter?: number;
  /** intent_code (1002 = NIFTI_INTENT_LABEL: viewers draw the volume as labels, e.g. NiiVue's outlines). */
  intentCode?: number;
}

/**
 * Encode a NIfTI-1 image: `shape` [X, Y, Z] or [X, Y, Z, T], data x fastest. Little-endian,
 * vox_offset 352, diagonal sform/qform with the given voxel size.
 */
export function encodeNifti1(data: NiftiWritable, shape: number[], opts: NiftiWriteOptions = {}): Uint8Array {
  const [code, bitpix] = CODE.get(data.constructor) ?? [0, 0];
  if (!code) throw new TypeError('unsupported array type for NIfTI');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new RangeError(`NIfTI shape ${shape} holds ${count} values, data has ${data.length}`);
  const vs = opts.voxelSize ?? 1.8;
  const out = new Uint8Array(352 + data.byteLength);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true);
  v.setInt16(40, shape.length, true);
  for (const [i, d] of shape.entries()) v.setInt16(42 + 2 * i, d, true);
  for (let i = shape.length; i < 7; i++) v.setInt16(42 + 2 * i, 1, true);
  v.setInt16(68, opts.intentCode ?? 0, true);
  v.setInt16(70, code, true);
  v.setInt16(72, bitpix, true);
  v.setFloat32(76, 1, true); // qfac
  for (let i = 1; i <= 3; i++) v.setFloat32(76 + 4 * i, vs, true);
  v.setFloat32(76 + 16, 1, true);
  v.setFloat32(108, 352, true);
  v.setFloat32(112, opts.sclSlope ?? 1, true);
  v.setFloat32(116, opts.sclInter ?? 0, true);
  out[123] = 2 | 8; // mm, s
  v.setInt16(252, 1, true); // qform_code scanner
  v.setInt16(254, 1, true); // sform_code scanner
  v.setFloat32(280, vs, true);
  v.setFloat32(296 + 4, vs, true);
  v.setFloat32(312 + 8, vs, true);
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 352);
  return out;
}
