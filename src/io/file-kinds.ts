/**
 * The reader table: every kind of file the service reads, the extensions that name it and its reader. Rooms
 * that take a file by name (activations and their stimulus ids, imported SAE weights) pick the kind here and
 * call its reader; what the values mean (stimuli x units, nsdIds, SAE tensors, betas) stays in their rooms.
 * A new kind is one entry here and one module beside this one.
 *
 * Readers keep their own shapes: HDF5 opens one dataset (close it when done) so that callers read hyperslabs,
 * NIfTI reads a whole (small) image (stream 4-D series with streamNiftiVolumes), the rest read whole files.
 * Format errors are DataValidationError naming the field the caller passes (or "file"), except .npy whose
 * NpyFormatError callers turn into theirs.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from './csv';
import { openH5Dataset } from './hdf5';
import { readNiftiImage } from './nifti';
import { readNpy } from './npy';
import { readNpz } from './npz';
import { readSafetensors } from './safetensors';

export const FILE_READERS = {
  npy: { extensions: ['.npy'], read: (file: string) => readNpy(readFileSync(file)) },
  npz: { extensions: ['.npz'], read: (file: string) => readNpz(readFileSync(file)) },
  safetensors: { extensions: ['.safetensors'], read: (file: string) => readSafetensors(readFileSync(file)) },
  hdf5: { extensions: ['.h5', '.hdf5', '.hdf'], read: openH5Dataset },
  nifti: { extensions: ['.nii', '.nii.gz'], read: readNiftiImage },
  // Comma-separated whatever the name says: one-column .txt/.tsv lists read the same.
  csv: { extensions: ['.csv', '.tsv', '.txt'], read: (file: string) => parseCsv(readFileSync(file, 'utf8')) },
  json: { extensions: ['.json'], read: (file: string): unknown => JSON.parse(readFileSync(file, 'utf8')) },
} as const;

export type FileKind = keyof typeof FILE_READERS;

/** Every extension of the table, longest first so that ".nii.gz" wins over a shorter match. */
const BY_EXTENSION: [string, FileKind][] = (Object.keys(FILE_READERS) as FileKind[])
  .flatMap((kind) => FILE_READERS[kind].extensions.map((ext): [string, FileKind] => [ext, kind]))
  .sort((a, b) => b[0].length - a[0].length);

/** The kind a file name says (extension, case-insensitive), or undefined for a name the table lacks. */
export function fileKindOf(file: string): FileKind | undefined {
  const name = file.toLowerCase();
  return BY_EXTENSION.find(([ext]) => name.endsWith(ext))?.[1];
}
