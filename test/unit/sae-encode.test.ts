import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy';
import { initBackend, tf } from '../../src/compute/backend';
import { csrToDense, type CsrMatrix, type DenseMatrix } from '../../src/compute/matrix';
import { encodeSparse } from '../../src/sae/encode';
import { SaeValidationError } from '../../src/sae/errors';
import { importSae, importSaeFile } from '../../src/sae/import';
import { evaluateSae } from '../../src/sae/metrics';
import { deserialiseSae, loadSae, saveSae, serialiseSae } from '../../src/sae/io';
import { preprocessRows, type TopKSae } from '../../src/sae/model';
import { writeSafetensors } from '../../src/io/safetensors';
import { topKIndices } from '../../src/sae/topk';

const FIX = path.resolve(__dirname, '../fixtures/sae');
const fix = (name: string) => path.join(FIX, name);

function npz(name: string): Record<string, ReturnType<typeof readNpy>> {
  const out: Record<string, ReturnType<typeof readNpy>> = {};
  for (const [k, v] of Object.entries(unzipSync(new Uint8Array(readFileSync(fix(name))))))
    out[k.replace(/\.npy$/, '')] = readNpy(v);
  return out;
}

const inputArr = readNpy(new Uint8Array(readFileSync(fix('encode_input.npy'))));
const X: DenseMatrix<Float32Array> = {
  rows: inputArr.shape[0],
  cols: inputArr.shape[1],
  data: inputArr.data as Float32Array,
};
const expected = npz('encode_expected.npz');
const expIndptr = expected.indptr.data as Int32Array;
const expIndices = expected.indices.data as Int32Array;
const expValues = expected.values.data as Float32Array;
const tieRows = Array.from(expected.tie_rows.data as Int32Array);

function expectMatchesReference(z: CsrMatrix): void {
  expect(z.rows).toBe(40);
  expect(z.cols).toBe(48);
  expect(Array.from(z.indptr)).toEqual(Array.from(expIndptr));
  expect(Array.from(z.indices)).toEqual(Array.from(expIndices));
  for (let p = 0; p < expValues.length; p++) {
    expect(Math.abs(z.values[p] - expValues[p])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expValues[p])));
  }
  const dense = csrToDense(z);
  const zRef = expected.z.data as Float32Array;
  for (let i = 0; i < zRef.length; i++) expect(Math.abs(dense.data[i] - zRef[i])).toBeLessThanOrEqual(1e-5);
}

function expectValidationError(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SaeValidationError);
    expect((err as SaeValidationError).field).toBe(field);
    return;
  }
  throw new Error(`expected SaeValidationError for field ${field}`);
}

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = mkdtempSync(path.join(tmpdir(), 'sae-encode-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('topKIndices', () => {
  it('breaks ties at the k-th value by lowest index and handles all-equal rows', () => {
    const out = new Int32Array(8);
    const scratch = new Float32Array(16);
    const row = new Float32Array([1, 5, 3, 5, 3, 3, 0, 3]);
    expect(Array.from(out.subarray(0, topKIndices(row, 8, 3, out, scratch)))).toEqual([1, 2, 3]);
    expect(Array.from(out.subarray(0, topKIndices(row, 8, 4, out, scratch)))).toEqual([1, 2, 3, 4]);
    const flat = new Float32Array(16).fill(2);
    expect(Array.from(out.subarray(0, topKIndices(flat, 16, 5, out, scratch)))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('encodeSparse parity with numpy', () => {
  it('fixture has deliberate ties', () => {
    expect(tieRows.slice(0, 2)).toEqual([0, 1]);
    expect(tieRows.length).toBeGreaterThanOrEqual(5);
  });

  it('imported .npz (torch layout, k from the archive) matches the reference', async () => {
    const sae = await importSaeFile(fix('encode_weights.npz'), { preprocessing: { clampNegative: true } });
    expect([sae.inputDim, sae.latentDim, sae.k]).toEqual([24, 48, 6]);
    expectMatchesReference(await encodeSparse(sae, X));
    // chunking does not change the result
    expectMatchesReference(await encodeSparse(sae, X, { batchSize: 7 }));
  });

  it('imported .safetensors (math layout, k and preprocessing from metadata) matches the reference', async () => {
    const sae = await importSaeFile(fix('encode_weights.safetensors'));
    expect(sae.preprocessing).toEqual({ clampNegative: true, layerNorm: true, ddof: 1, eps: 1e-5, epsPlacement: 'sd' });
    expect(sae.metadata.source).toBe('gen_encode.py');
    expectMatchesReference(await encodeSparse(sae, X));
  });

  it('float64 input gives the same latents', async () => {
    const sae = await importSaeFile(fix('encode_weights.safetensors'));
    expectMatchesReference(await encodeSparse(sae, { rows: X.rows, cols: X.cols, data: Float64Array.from(X.data) }));
  });

  it('evaluateSae matches the numpy FVU, mean L0 and dead share', async () => {
    const sae = await importSaeFile(fix('encode_weights.safetensors'));
    const [fvu, meanL0, deadShare] = Array.from(expected.metrics.data as Float64Array);
    const got = await evaluateSae(sae, X, { batchSize: 9 });
    expect(got.rows).toBe(40);
    expect(Math.abs(got.fvu - fvu)).toBeLessThan(1e-5 * fvu);
    expect(got.meanL0).toBeCloseTo(meanL0, 10);
    expect(got.deadShare).toBeCloseTo(deadShare, 10);
  });

  it('does not leak tensors', async () => {
    const sae = await importSaeFile(fix('encode_weights.safetensors'));
    const before = tf.memory().numTensors;
    await encodeSparse(sae, X, { batchSize: 16 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save/load round trip keeps weights, k, preprocessing and the encoding', async () => {
    const sae = await importSaeFile(fix('encode_weights.npz'), {
      preprocessing: { clampNegative: true },
      metadata: { note: 'x' },
    });
    const file = path.join(tmp, 'sae.safetensors');
    await saveSae(file, sae);
    const back = await loadSae(file);
    expect(back.k).toBe(6);
    expect(back.preprocessing).toEqual(sae.preprocessing);
    expect(back.metadata.note).toBe('x');
    expect(Array.from(back.weights.wEnc.data)).toEqual(Array.from(sae.weights.wEnc.data));
    expect(Array.from(back.weights.bDec)).toEqual(Array.from(sae.weights.bDec));
    expectMatchesReference(await encodeSparse(back, X));
    // foreign safetensors are refused by loadSae
    await expect(loadSae(fix('encode_weights.safetensors'))).rejects.toBeInstanceOf(SaeValidationError);
  });

  it('applyDecoderBiasToInput folds x - b_dec into b_enc', async () => {
    const sae = importSae(new Uint8Array(readFileSync(fix('encode_weights.safetensors'))), {
      applyDecoderBiasToInput: true,
    });
    const xp = preprocessRows(X, sae.preprocessing);
    const ref = importSae(new Uint8Array(readFileSync(fix('encode_weights.safetensors'))));
    const { rows: n, cols: d } = X;
    const m = 48;
    const w = ref.weights;
    const scratch = new Float32Array(m);
    const sel = new Int32Array(6);
    const z = await encodeSparse(sae, X);
    for (let r = 0; r < n; r++) {
      const pre = new Float32Array(m);
      for (let j = 0; j < m; j++) {
        let s = w.bEnc[j];
        for (let i = 0; i < d; i++) s += (xp[r * d + i] - w.bDec[i]) * w.wEnc.data[i * m + j];
        pre[j] = s;
      }
      const c = topKIndices(pre, m, 6, sel, scratch);
      const want = Array.from(sel.subarray(0, c)).filter((j) => pre[j] > 1e-4);
      const got = Array.from(z.indices.subarray(z.indptr[r], z.indptr[r + 1]));
      expect(got.filter((j) => pre[j] > 1e-4)).toEqual(want);
      for (let p = z.indptr[r]; p < z.indptr[r + 1]; p++)
        expect(Math.abs(z.values[p] - pre[z.indices[p]])).toBeLessThan(1e-4);
    }
  });
});

describe('validation', () => {
  const st = (
    tensors: Record<string, { shape: number[]; data: Float32Array }>,
    metadata: Record<string, string> = { k: '2' },
  ) => writeSafetensors(tensors, metadata);
  const f = (n: number) => new Float32Array(n).map((_, i) => Math.sin(i));

  it('names the field with a wrong shape', () => {
    expectValidationError(
      () =>
        importSae(
          st({
            W_enc: { shape: [4, 7], data: f(28) },
            b_enc: { shape: [8], data: f(8) },
            W_dec: { shape: [8, 4], data: f(32) },
            b_dec: { shape: [4], data: f(4) },
          }),
        ),
      'W_enc',
    );
    expectValidationError(
      () =>
        importSae(
          st({
            W_enc: { shape: [4, 8], data: f(32) },
            b_enc: { shape: [8], data: f(8) },
            W_dec: { shape: [8, 5], data: f(40) },
            b_dec: { shape: [4], data: f(4) },
          }),
        ),
      'W_dec',
    );
    expectValidationError(
      () =>
        importSae(
          st({
            W_enc: { shape: [4, 8], data: f(32) },
            b_enc: { shape: [2, 4], data: f(8) },
            W_dec: { shape: [8, 4], data: f(32) },
            b_dec: { shape: [4], data: f(4) },
          }),
        ),
      'b_enc',
    );
    expectValidationError(
      () =>
        importSae(
          st({
            W_enc: { shape: [4, 8], data: f(32) },
            b_enc: { shape: [8], data: f(8) },
            W_dec: { shape: [8, 4], data: f(32) },
          }),
        ),
      'b_dec',
    );
  });

  it('accepts either orientation when shapes tell, refuses square ones without a flag', () => {
    const a = importSae(
      st({
        W_enc: { shape: [8, 4], data: f(32) },
        b_enc: { shape: [8], data: f(8) },
        W_dec: { shape: [4, 8], data: f(32) },
        b_dec: { shape: [4], data: f(4) },
      }),
    );
    expect(a.weights.wEnc.data[1 * 8 + 0]).toBeCloseTo(Math.sin(1), 6); // W_enc[i=1, j=0] = torch[j=0, i=1]
    const sq = st({
      W_enc: { shape: [4, 4], data: f(16) },
      b_enc: { shape: [4], data: f(4) },
      W_dec: { shape: [4, 4], data: f(16) },
      b_dec: { shape: [4], data: f(4) },
    });
    expectValidationError(() => importSae(sq), 'W_enc');
    const t = importSae(sq, { orientation: 'torch' });
    expect(t.weights.wEnc.data[1 * 4 + 0]).toBeCloseTo(Math.sin(1), 6);
    expect(importSae(sq, { orientation: 'math' }).weights.wEnc.data[1]).toBeCloseTo(Math.sin(1), 6);
  });

  it('k larger than the latents, missing k, non-finite weights', () => {
    const t = {
      W_enc: { shape: [4, 8], data: f(32) },
      b_enc: { shape: [8], data: f(8) },
      W_dec: { shape: [8, 4], data: f(32) },
      b_dec: { shape: [4], data: f(4) },
    };
    expectValidationError(() => importSae(st(t, { k: '9' })), 'k');
    expectValidationError(() => importSae(st(t, {})), 'k');
    const bad = f(8);
    bad[3] = NaN;
    expectValidationError(() => importSae(st({ ...t, b_enc: { shape: [8], data: bad } })), 'b_enc');
    expectValidationError(() => importSae(st(t), { preprocessing: { ddof: 2 as 1 } }), 'preprocessing.ddof');
  });

  it('rejects garbage files and inputs of the wrong width', async () => {
    expectValidationError(() => importSae(new Uint8Array([1, 2, 3])), 'file');
    expectValidationError(() => importSae(new Uint8Array([0x50, 0x4b, 3, 4, 5])), 'file');
    // The file reader's own errors (here: offsets past the end, named by tensor) become SaeValidationError.
    const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
    const bad = new Uint8Array(8 + header.length + 8);
    new DataView(bad.buffer).setBigUint64(0, BigInt(header.length), true);
    bad.set(header, 8);
    expectValidationError(() => importSae(bad), 'w');
    const sae: TopKSae = deserialiseSae(
      serialiseSae(importSae(new Uint8Array(readFileSync(fix('encode_weights.safetensors'))))),
    );
    await expect(encodeSparse(sae, { rows: 2, cols: 5, data: new Float32Array(10) })).rejects.toMatchObject({
      field: 'X',
    });
  });
});
