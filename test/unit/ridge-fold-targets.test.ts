/**
 * groupFoldTargets builds a fold's targets of a column group in one pass over the rows it takes; it must give the
 * very values of the copying path it replaces (take the group's columns, the preset's whole-set step, then the
 * fold's rows and column transform), for every preset and for Y in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { foldIndices, kFoldAssignment } from '../../src/compute/folds';
import { type DenseMatrix, takeCols } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import {
  PRESETS,
  foldTargets,
  globalTargets,
  groupFoldTargets,
  groupTestTargets,
  type RidgePreset,
} from '../../src/compute/ridge/presets';

function targets(rows: number, cols: number, f64: boolean): DenseMatrix {
  const rng = new Rng(21);
  const data = f64 ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = 3 * rng.normal() + (i % cols);
  for (let i = 0; i < rows; i++) data[i * cols + 2] = 5; // a constant column
  return { rows, cols, data };
}

describe('groupFoldTargets', () => {
  const n = 53;
  const assignment = kFoldAssignment(n, 4, 0);
  const { train, test } = foldIndices(assignment, 1);
  for (const preset of Object.keys(PRESETS) as RidgePreset[]) {
    for (const f64 of [false, true]) {
      it(`${preset}, Y in ${f64 ? 'float64' : 'float32'}: the copying path's values, bit for bit`, () => {
        const Y = targets(n, 40, f64);
        const spec = PRESETS[preset];
        for (const cols of [Int32Array.from([7, 2, 31, 0, 12, 39, 5]), null]) {
          for (const dtype of ['f32', 'f64'] as const) {
            const want = foldTargets(globalTargets(cols ? takeCols(Y, cols) : Y, spec), spec, train, test, dtype);
            const got = groupFoldTargets(Y, cols, spec, train, test, dtype);
            for (const part of ['train', 'test'] as const) {
              expect(got[part].data.constructor).toBe(want[part].data.constructor);
              expect([got[part].rows, got[part].cols]).toEqual([want[part].rows, want[part].cols]);
              expect(Array.from(got[part].data)).toEqual(Array.from(want[part].data));
            }
            expect(Array.from(groupTestTargets(Y, cols, spec, train, test, dtype).data)).toEqual(
              Array.from(want.test.data),
            );
          }
        }
      });
    }
  }
});
