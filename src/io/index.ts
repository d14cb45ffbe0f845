/** Public API of the file readers and writers: formats only (no NSD, activation or SAE meaning). */
export { FILE_READERS, fileKindOf, type FileKind } from './file-kinds';
export { readNpy, writeNpy, npyHeader, NpyFormatError, type NpyArray, type NpyData, type NpyDtype } from './npy';
export { readNpz } from './npz';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type SafeTensor } from './safetensors';
export { parseCsv } from './csv';
export { h5Ready, openH5Dataset, readH5Slab, readH5SlabBytes, type OpenH5Dataset, type H5DatasetInfo } from './hdf5';
export { writeH5DatasetInSlabs, type H5SlabWrite } from './hdf5-write';
export { readChunkIndex, type ChunkIndex } from './hdf5-chunk-index';
export {
  readNiftiHeader,
  readNiftiImage,
  streamNiftiVolumes,
  decodeVoxels,
  type NiftiHeaderInfo,
  type NiftiImage,
  type NiftiTypedArray,
} from './nifti';
export { encodeNifti1, type NiftiWritable, type NiftiWriteOptions } from './nifti-encode';
export { writeNifti1 } from './nifti-write';
export { halfToFloat } from './float16';
