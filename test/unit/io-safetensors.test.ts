import { describe, expect, it } from 'vitest';
import { DataValidationError } from '../../src/errors';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';

/** Build a safetensors file by hand (independent of writeSafetensors). */
function build(header: Record<string, unknown>, body: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('decodes F16, BF16, I64 and metadata from a hand-built file', () => {
    const body = new Uint8Array(4 + 4 + 16);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, 0x3c00, true); // f16 1.0
    dv.setUint16(2, 0xc000, true); // f16 -2.0
    dv.setUint16(4, 0x3f80, true); // bf16 1.0
    dv.setUint16(6, 0x4049, true); // bf16 3.140625
    dv.setBigInt64(8, 7n, true);
    dv.setBigInt64(16, -3n, true);
    const f = readSafetensors(
      build(
        {
          __metadata__: { k: '7' },
          h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          b: { dtype: 'BF16', shape: [2, 1], data_offsets: [4, 8] },
          i: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
        },
        body,
      ),
    );
    expect(f.metadata).toEqual({ k: '7' });
    expect(Array.from(f.tensors.h.data)).toEqual([1, -2]);
    expect(Array.from(f.tensors.b.data)).toEqual([1, 3.140625]);
    expect(f.tensors.b.shape).toEqual([2, 1]);
    expect(Array.from(f.tensors.i.data)).toEqual([7, -3]);
  });

  it('round-trips F32/F64/I32 with an 8-byte aligned header', () => {
    const bytes = writeSafetensors(
      {
        a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) },
        b: { shape: [1], data: new Float64Array([Math.PI]) },
        c: { shape: [3], data: new Int32Array([1, -2, 3]) },
      },
      { x: 'y' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const f = readSafetensors(bytes);
    expect(f.tensors.a.dtype).toBe('F32');
    expect(Array.from(f.tensors.a.data)).toEqual([1, 2, 3, 4.5]);
    expect(f.tensors.b.data[0]).toBe(Math.PI);
    expect(Array.from(f.tensors.c.data)).toEqual([1, -2, 3]);
    expect(f.metadata).toEqual({ x: 'y' });
  });

  it('names the tensor whose offsets do not fit', () => {
    try {
      readSafetensors(build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)));
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(DataValidationError);
      expect((err as DataValidationError).field).toBe('w');
    }
  });
});
