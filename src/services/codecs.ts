/**
 * How numbers are stored: typed arrays as bytea (little-endian float32 / int32 / uint16, the machine's order on
 * every platform Node runs on), and non-finite statistics as SQL NULL (JSON and Postgres have no NaN).
 */

/** A typed array's bytes, copied into a buffer of their own (Prisma's Bytes columns take Uint8Array<ArrayBuffer>). */
export function bytesOf(a: Float32Array | Int32Array | Uint16Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(a.byteLength));
  out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return out;
}

// Decoders copy: a bytea's bytes may sit at an offset that is not a multiple of the element size.
const own = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

/** Stored float32 bytes back to a Float32Array. */
export const float32Of = (b: Uint8Array) => new Float32Array(own(b));

/** Stored int32 bytes back to an Int32Array. */
export const int32Of = (b: Uint8Array) => new Int32Array(own(b));

/** Stored uint16 bytes back to a Uint16Array. */
export const uint16Of = (b: Uint8Array) => new Uint16Array(own(b));

/** A statistic as stored: NaN and the infinities (undefined statistics) become null. */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
