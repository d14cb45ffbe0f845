/**
 * A multipart layer upload written at a fixed rate, as a client on a slow link sends it: the activations part is
 * a valid .npy header followed by generated float32 values, streamed (never held whole, so a 2 GiB file costs the
 * test a megabyte), with its sha256 computed as it goes. Real HTTP over loopback with node:http.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ThrottledUploadOptions {
  url: string;
  pathname: string;
  /** Authorization header value. */
  authorization: string;
  /** Text fields of the form (name, position, ...). */
  fields: Record<string, string>;
  /** The activations' shape: rows x cols float32, C order. */
  rows: number;
  cols: number;
  /** The stimulusIds part (a small .npy). */
  stimulusIds: Uint8Array;
  bytesPerSecond: number;
}

export interface ThrottledUploadResult {
  status: number;
  body: string;
  /** Milliseconds from the first byte sent until the answer was complete. */
  elapsedMs: number;
  /** Bytes of the request written before the answer came (or all). */
  sentBytes: number;
  /** sha256 of the whole activations file (what the layer's checksum must be). */
  activationsSha256: string;
}

/** A .npy v1.0 header for a little-endian float32 C-order array of this shape (numpy's own padding rule). */
export function npyFloat32Header(shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += `${' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
  const out = Buffer.alloc(10 + header.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/** One megabyte of float32 values 0, 0.5, 1, ... repeated: finite, not all zero. */
function patternChunk(): Buffer {
  const values = new Float32Array(1 << 18);
  for (let i = 0; i < values.length; i++) values[i] = (i % 97) * 0.5;
  return Buffer.from(values.buffer);
}

/** The form's pieces in order: text parts, the activations part (header, then `dataBytes` generated), ids. */
function* bodyPieces(o: ThrottledUploadOptions, boundary: string, hash: ReturnType<typeof createHash>) {
  for (const [name, value] of Object.entries(o.fields))
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const fileHead = (name: string, file: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
  yield fileHead('activations', 'activations.npy');
  const header = npyFloat32Header([o.rows, o.cols]);
  hash.update(header);
  yield header;
  const chunk = patternChunk();
  const dataBytes = o.rows * o.cols * 4;
  for (let sent = 0; sent < dataBytes; sent += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, dataBytes - sent));
    hash.update(piece);
    yield piece;
  }
  yield Buffer.from('\r\n');
  yield fileHead('stimulusIds', 'ids.npy');
  yield Buffer.from(o.stimulusIds);
  yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

function contentLength(o: ThrottledUploadOptions, boundary: string): number {
  let n = 0;
  for (const [name, value] of Object.entries(o.fields))
    n += Buffer.byteLength(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const fileHead = (name: string, file: string) =>
    Buffer.byteLength(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
  n += fileHead('activations', 'activations.npy') + npyFloat32Header([o.rows, o.cols]).length + o.rows * o.cols * 4;
  n += 2 + fileHead('stimulusIds', 'ids.npy') + o.stimulusIds.length;
  return n + Buffer.byteLength(`\r\n--${boundary}--\r\n`);
}

/** Send the upload at `bytesPerSecond` (paced per piece); resolves with the answer, whenever it comes. */
export function throttledLayerUpload(o: ThrottledUploadOptions): Promise<ThrottledUploadResult> {
  const boundary = `----throttled${Date.now()}`;
  const hash = createHash('sha256');
  const started = Date.now();
  let sentBytes = 0;
  let answered = false;
  return new Promise((resolve, reject) => {
    const req = request(o.url + o.pathname, {
      method: 'POST',
      headers: {
        Authorization: o.authorization,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': contentLength(o, boundary),
      },
    });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          elapsedMs: Date.now() - started,
          sentBytes,
          activationsSha256: hash.digest('hex'),
        }),
      );
    });
    // Once answered, a write into the closed connection is expected (the server stopped reading).
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    (async () => {
      for (const piece of bodyPieces(o, boundary, hash)) {
        if (answered) return;
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
        sentBytes += piece.length;
        const ahead = (sentBytes / o.bytesPerSecond) * 1000 - (Date.now() - started);
        if (ahead > 0) await sleep(ahead);
      }
      req.end();
    })().catch((err) => {
      if (!answered) reject(err);
    });
  });
}
