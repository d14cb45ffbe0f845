/** Minimal NIfTI-1 single-file writer (.nii or .nii.gz) for synthetic data and result volumes. */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { encodeNifti1, type NiftiWritable, type NiftiWriteOptions } from './nifti-encode';

export { encodeNifti1, type NiftiWritable, type NiftiWriteOptions };

/** Write a NIfTI-1 file; gzip when the name ends in .gz. */
export function writeNifti1(file: string, data: NiftiWritable, shape: number[], opts: NiftiWriteOptions = {}): void {
  const bytes = encodeNifti1(data, shape, opts);
  writeFileSync(file, file.endsWith('.gz') ? gzipSync(bytes, { level: 1 }) : bytes);
}
