import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readActivations } from '../../src/activations/load';
import { readStimulusIds } from '../../src/activations/stimulus-ids';
import { alignActivationsToStimuli } from '../../src/activations/align';
import { readNpy } from '../../src/io/npy';
import { DataValidationError } from '../../src/errors';
import { cleanupTempDirs, makeTempDir } from './nsd-fixture';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/activations');
const f = (n: string) => path.join(DIR, n);
const npy = (n: string) => readNpy(readFileSync(f(n)));
const expected32 = Array.from(npy('expected_f32.npy').data as Float32Array);
const expected16 = Array.from(npy('expected_f16.npy').data as Float32Array);
const ids = Array.from(npy('ids.npy').data as BigInt64Array, Number);

afterAll(cleanupTempDirs);

describe('readActivations', () => {
  for (const [name, exp] of [
    ['acts_f8_c.npy', expected32],
    ['acts_f4_c.npy', expected32],
    ['acts_f2_c.npy', expected16],
    ['acts_f4_f.npy', expected32],
    ['acts_f8_f.npy', expected32],
  ] as const) {
    it(`reads ${name} as numpy does (C order)`, async () => {
      const m = await readActivations(f(name));
      expect([m.rows, m.cols]).toEqual([13, 6]);
      expect(Array.from(m.data)).toEqual(exp);
    });
  }

  for (const [ds, exp] of [
    ['layer/acts', expected32],
    ['layer/acts_f8', expected32],
    ['layer/acts_f2', expected16],
  ] as const) {
    it(`reads HDF5 dataset ${ds}, also in one-row slabs`, async () => {
      const m = await readActivations(f('acts.h5'), { dataset: ds });
      expect([m.rows, m.cols]).toEqual([13, 6]);
      expect(Array.from(m.data)).toEqual(exp);
      const s = await readActivations(f('acts.h5'), { dataset: ds, maxSlabBytes: 1 });
      expect(Array.from(s.data)).toEqual(exp);
    });
  }

  it('rejects integer .npy, missing HDF5 dataset names and missing datasets', async () => {
    await expect(readActivations(f('ids.npy'))).rejects.toBeInstanceOf(DataValidationError);
    const e = await readActivations(f('acts.h5')).catch((x) => x);
    expect(e.field).toBe('activations.dataset');
    await expect(readActivations(f('acts.h5'), { dataset: 'nope' })).rejects.toBeInstanceOf(DataValidationError);
  });
});

describe('readStimulusIds', () => {
  it('reads the same ids from npy (i8, i4), json, csv (named and plain) and HDF5', async () => {
    for (const [file, opts] of [
      ['ids.npy', {}],
      ['ids_i4.npy', {}],
      ['ids.json', {}],
      ['ids.csv', {}],
      ['ids_plain.csv', {}],
      ['acts.h5', { dataset: 'nsd_ids' }],
    ] as const) {
      expect(Array.from(await readStimulusIds(f(file), opts))).toEqual(ids);
    }
  });

  it('reports a bad entry by index', async () => {
    const dir = makeTempDir('ids-');
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify([1, 2, -3]));
    const e = await readStimulusIds(path.join(dir, 'bad.json')).catch((x) => x);
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e.field).toBe('stimulusIds[2]');
  });
});

describe('alignActivationsToStimuli', () => {
  it('orders rows by the requested nsdIds and reports missing and extra ids', async () => {
    const acts = await readActivations(f('acts_f4_c.npy'));
    const want = npy('align_want.npy').data as Int32Array;
    const exp = JSON.parse(readFileSync(f('align_expected.json'), 'utf8'));
    const a = alignActivationsToStimuli(acts, ids, want);
    expect(Array.from(a.nsdIds)).toEqual(Array.from(want.subarray(0, want.length - 2)));
    expect(Array.from(a.matrix.data)).toEqual(Array.from(npy('align_expected_rows.npy').data as Float32Array));
    expect(Array.from(a.missing)).toEqual(exp.missing);
    expect(Array.from(a.extra)).toEqual(exp.extra);
    expect(() => alignActivationsToStimuli(acts, ids, want, { requireAll: true })).toThrow(DataValidationError);
  });

  it('rejects duplicate ids and a row-count mismatch', async () => {
    const acts = await readActivations(f('acts_f4_c.npy'));
    const dup = [...ids];
    dup[4] = dup[1];
    expect(() => alignActivationsToStimuli(acts, dup, ids)).toThrow(/duplicate/);
    expect(() => alignActivationsToStimuli(acts, ids.slice(1), ids)).toThrow(DataValidationError);
  });
});
