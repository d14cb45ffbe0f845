/**
 * The streaming activations check (src/activations/check.ts) against numpy-written files
 * (test/fixtures/activations/gen_activations.py, gen_nonfinite.py): the shape of every float dtype and order, and
 * the row and column of a non-finite value whatever the dtype, order and byte order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkActivationsFile } from '../../src/activations/check';
import { DataValidationError } from '../../src/errors';
import { writeNpy } from '../../src/io/npy';
import { cleanupTempDirs, makeTempDir } from './nsd-fixture';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/activations');
const expected = JSON.parse(readFileSync(path.join(DIR, 'nonfinite/expected.json'), 'utf8')) as Record<
  string,
  [number, number]
>;
const check = (file: string) => checkActivationsFile(file, { field: 'body.activations' });

afterAll(cleanupTempDirs);

describe('checkActivationsFile', () => {
  it('gives the shape of every float dtype and order, and of an HDF5 dataset', async () => {
    for (const name of ['acts_f8_c.npy', 'acts_f4_c.npy', 'acts_f2_c.npy', 'acts_f4_f.npy', 'acts_f8_f.npy'])
      expect(await check(path.join(DIR, name))).toEqual({ rows: 13, cols: 6 });
    expect(await checkActivationsFile(path.join(DIR, 'acts.h5'), { dataset: 'layer/acts', field: 'a' })).toEqual({
      rows: 13,
      cols: 6,
    });
    expect(await check(path.join(DIR, 'nonfinite/finite_f8_c_le.npy'))).toEqual({ rows: 7, cols: 5 });
  });

  for (const [name, [row, col]] of Object.entries(expected)) {
    it(`finds the non-finite value of ${name} at row ${row}, column ${col}`, async () => {
      const err = await check(path.join(DIR, 'nonfinite', name)).catch((e) => e);
      expect(err).toBeInstanceOf(DataValidationError);
      expect(err.field).toBe('body.activations');
      expect(err.message).toMatch(`non-finite value at row ${row}, column ${col}`);
    });
  }

  it('refuses integer dtypes, ranks above 2, truncated data and files that are not .npy, naming the field', async () => {
    const dir = makeTempDir('act-check-');
    const cases: [string, Uint8Array, RegExp][] = [
      ['ints.npy', writeNpy(Int32Array.from([1, 2]), [2]), /float16\/32\/64, got i4/],
      ['rank3.npy', writeNpy(new Float32Array(8), [2, 2, 2]), /2-D/],
      ['short.npy', writeNpy(new Float32Array(6), [2, 3]).subarray(0, 140), /truncated/],
      ['text.npy', new TextEncoder().encode('hello'), /not a .npy file/],
    ];
    for (const [name, bytes, why] of cases) {
      writeFileSync(path.join(dir, name), bytes);
      const err = await check(path.join(dir, name)).catch((e) => e);
      expect(err, name).toBeInstanceOf(DataValidationError);
      expect(err.message, name).toMatch(why);
    }
  });
});
