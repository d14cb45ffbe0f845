/**
 * NumPy .npz archives (numpy.savez / savez_compressed): a zip of .npy files, one per array, named
 * "<array>.npy". Entries whose names do not end in .npy are skipped, as numpy.load does not return them.
 */
import { unzipSync } from 'fflate';
import { DataValidationError } from '../errors';
import { type NpyArray, readNpy } from './npy';

/**
 * Arrays of an in-memory .npz file, by name (without ".npy").
 * @throws DataValidationError naming "file" for an unreadable zip, or the array for an unreadable entry.
 */
export function readNpz(bytes: Uint8Array): Record<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch {
    throw new DataValidationError('file', 'not a readable .npz (zip) file');
  }
  const arrays: Record<string, NpyArray> = {};
  for (const [name, buf] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    try {
      arrays[key] = readNpy(buf);
    } catch (err) {
      throw new DataValidationError(key, `unreadable .npy entry: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return arrays;
}
