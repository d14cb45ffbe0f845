/**
 * Chunk addresses of an uncompressed chunked HDF5 dataset, read from the file's own structures:
 * superblock v0/v1 -> symbol-table groups -> object header v1 -> layout message (v1-3, chunked) ->
 * v1 B-tree of chunks. Anything else (superblock v2+, compact/dense links, layout v4 chunk indexes,
 * filters) returns null so that the caller falls back to h5wasm. Spec: HDF5 File Format Specification v3.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ChunkIndex {
  /** Dataset shape (C order), e.g. (T, Z, Y, X). */
  shape: number[];
  /** Chunk shape (C order). */
  chunk: number[];
  /** Element size in bytes. */
  elementSize: number;
  /** Little-endian signed integer (the only type the fast path decodes). */
  littleEndianSigned: boolean;
  /** File address of each chunk, by chunk grid index in C order; -1 where unallocated. */
  addresses: Float64Array;
  /** Chunk grid (C order). */
  grid: number[];
}

class Reader {
  private fd: number;
  offsetSize = 8;
  lengthSize = 8;
  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }
  close(): void {
    closeSync(this.fd);
  }
  bytes(pos: number, n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    const got = readSync(this.fd, b, 0, n, pos);
    if (got < n) throw new Error(`short read at ${pos}`);
    return b;
  }
  /** Read up to n bytes at pos into buf (a short read near the end of the file is allowed). */
  readInto(buf: Buffer, pos: number, n: number): number {
    return readSync(this.fd, buf, 0, n, pos);
  }
  /** Unsigned little-endian integer of `size` bytes at b[off] (as a JS number; addresses < 2^53). */
  static uint(b: Buffer, off: number, size: number): number {
    if (size === 8) return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 4294967296;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + b[off + i];
    return v;
  }
  isUndefined(b: Buffer, off: number): boolean {
    for (let i = 0; i < this.offsetSize; i++) if (b[off + i] !== 0xff) return false;
    return true;
  }
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

interface HeaderMessage {
  type: number;
  data: Buffer;
}

/** Messages of a version-1 object header, following continuation blocks. */
function objectHeaderMessages(r: Reader, addr: number): HeaderMessage[] {
  const h = r.bytes(addr, 16);
  if (h[0] !== 1) throw new Error('object header version is not 1');
  const count = h.readUInt16LE(2);
  const size = h.readUInt32LE(8);
  const blocks: [number, number][] = [[addr + 16, size]];
  const out: HeaderMessage[] = [];
  while (blocks.length > 0 && out.length < count) {
    const [pos, len] = blocks.shift()!;
    const b = r.bytes(pos, len);
    let o = 0;
    while (o + 8 <= len && out.length < count) {
      const type = b.readUInt16LE(o);
      const msize = b.readUInt16LE(o + 2);
      const data = b.subarray(o + 8, o + 8 + msize);
      out.push({ type, data });
      if (type === 0x10)
        blocks.push([Reader.uint(data, 0, r.offsetSize), Reader.uint(data, r.offsetSize, r.lengthSize)]);
      o += 8 + msize;
    }
  }
  return out;
}

/** Object header address of `name` in a symbol-table group given its B-tree and local heap addresses. */
function findInGroup(
  r: Reader,
  btree: number,
  heap: number,
  name: string,
): { header: number; scratch: Buffer; cacheType: number } | null {
  const hp = r.bytes(heap, 8 + 2 * r.lengthSize + r.offsetSize);
  if (hp.toString('latin1', 0, 4) !== 'HEAP') throw new Error('bad local heap');
  const dataAddr = Reader.uint(hp, 8 + 2 * r.lengthSize, r.offsetSize);
  const O = r.offsetSize;
  const stack = [btree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const head = r.bytes(node, 8 + 2 * O);
    if (head.toString('latin1', 0, 4) !== 'TREE' || head[4] !== 0) throw new Error('bad group B-tree node');
    const level = head[5];
    const entries = head.readUInt16LE(6);
    const body = r.bytes(node + 8 + 2 * O, entries * (r.lengthSize + O) + r.lengthSize);
    for (let i = 0; i < entries; i++) {
      const child = Reader.uint(body, r.lengthSize + i * (r.lengthSize + O), O);
      if (level > 0) {
        stack.push(child);
        continue;
      }
      const sn = r.bytes(child, 8);
      if (sn.toString('latin1', 0, 4) !== 'SNOD') throw new Error('bad symbol table node');
      const nsym = sn.readUInt16LE(6);
      const entSize = 2 * O + 24;
      const ents = r.bytes(child + 8, nsym * entSize);
      for (let k = 0; k < nsym; k++) {
        const e = k * entSize;
        const nameOff = Reader.uint(ents, e, O);
        const nm = r.bytes(dataAddr + nameOff, name.length + 1);
        if (nm.toString('latin1', 0, name.length) === name && nm[name.length] === 0) {
          return {
            header: Reader.uint(ents, e + O, O),
            cacheType: ents.readUInt32LE(e + 2 * O),
            scratch: ents.subarray(e + 2 * O + 8, e + 2 * O + 24),
          };
        }
      }
    }
  }
  return null;
}

/**
 * Chunk index of dataset `datasetPath` (e.g. "/betas"), or null when the file uses structures this
 * reader does not handle (the caller then uses h5wasm). Throws only on I/O errors.
 */
export function readChunkIndex(file: string, datasetPath: string): ChunkIndex | null {
  const r = new Reader(file);
  try {
    return readChunkIndexWith(r, datasetPath);
  } catch {
    return null;
  } finally {
    r.close();
  }
}

function readChunkIndexWith(r: Reader, datasetPath: string): ChunkIndex | null {
  let base = -1;
  for (const p of [0, 512, 1024, 2048, 4096]) {
    if (r.bytes(p, 8).equals(SIGNATURE)) {
      base = p;
      break;
    }
  }
  if (base < 0) return null;
  const sb = r.bytes(base, 128);
  const version = sb[8];
  if (version > 1) return null;
  r.offsetSize = sb[13];
  r.lengthSize = sb[14];
  const O = r.offsetSize;
  const addrStart = base + (version === 0 ? 24 : 28);
  // base address, free-space, EOF, driver, then the root symbol table entry.
  const rootEntry = addrStart - base + 4 * O;
  let cacheType = sb.readUInt32LE(rootEntry + 2 * O);
  let scratch = sb.subarray(rootEntry + 2 * O + 8, rootEntry + 2 * O + 24);
  let header = Reader.uint(sb, rootEntry + O, O);
  const parts = datasetPath.split('/').filter((s) => s.length > 0);
  for (const part of parts) {
    let btree: number;
    let heap: number;
    if (cacheType === 1) {
      btree = Reader.uint(scratch, 0, O);
      heap = Reader.uint(scratch, O, O);
    } else {
      const st = objectHeaderMessages(r, header).find((m) => m.type === 0x11);
      if (!st) return null;
      btree = Reader.uint(st.data, 0, O);
      heap = Reader.uint(st.data, O, O);
    }
    const found = findInGroup(r, btree, heap, part);
    if (!found) return null;
    ({ header, cacheType, scratch } = found);
  }
  const msgs = objectHeaderMessages(r, header);
  if (msgs.some((m) => m.type === 0x0b)) return null; // filter pipeline present (compression etc.)
  const dt = msgs.find((m) => m.type === 0x03);
  const sp = msgs.find((m) => m.type === 0x01);
  const lay = msgs.find((m) => m.type === 0x08);
  if (!dt || !sp || !lay) return null;
  const dtClass = dt.data[0] & 0x0f;
  const elementSize = dt.data.readUInt32LE(4);
  const littleEndianSigned = dtClass === 0 && (dt.data[1] & 0x01) === 0 && (dt.data[1] & 0x08) !== 0;
  const rank = sp.data[1];
  const dimsOff = sp.data[0] === 1 ? 8 : 4;
  const shape = Array.from({ length: rank }, (_, i) => Reader.uint(sp.data, dimsOff + i * r.lengthSize, r.lengthSize));
  let btreeAddr: number;
  let chunkDims: number[];
  const lv = lay.data[0];
  if (lv === 3) {
    if (lay.data[1] !== 2) return null;
    const nd = lay.data[2];
    btreeAddr = Reader.uint(lay.data, 3, O);
    chunkDims = Array.from({ length: nd }, (_, i) => lay.data.readUInt32LE(3 + O + 4 * i));
  } else if (lv === 1 || lv === 2) {
    const nd = lay.data[1];
    if (lay.data[2] !== 2) return null;
    btreeAddr = Reader.uint(lay.data, 8, O);
    chunkDims = Array.from({ length: nd }, (_, i) => lay.data.readUInt32LE(8 + O + 4 * i));
  } else return null;
  const chunk = chunkDims.slice(0, rank);
  if (chunk.length !== rank) return null;
  const grid = shape.map((s, i) => Math.ceil(s / chunk[i]));
  const nChunks = grid.reduce((a, b) => a * b, 1);
  const addresses = new Float64Array(nChunks).fill(-1);
  if (r.isUndefined(lay.data, lv === 3 ? 3 : 8))
    return { shape, chunk, elementSize, littleEndianSigned, addresses, grid };
  walkChunkBtree(r, btreeAddr, rank, chunk, grid, addresses);
  return { shape, chunk, elementSize, littleEndianSigned, addresses, grid };
}

function walkChunkBtree(
  r: Reader,
  root: number,
  rank: number,
  chunk: number[],
  grid: number[],
  addresses: Float64Array,
): void {
  const O = r.offsetSize;
  const keySize = 8 + 8 * (rank + 1);
  const headSize = 8 + 2 * O;
  // One read per node: guess a size that holds the default 2K = 64 entries, re-read if a node is larger.
  let buf = Buffer.allocUnsafe(headSize + 64 * (keySize + O) + keySize);
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    r.readInto(buf, node, buf.length);
    if (buf.toString('latin1', 0, 4) !== 'TREE' || buf[4] !== 1) throw new Error('bad chunk B-tree node');
    const level = buf[5];
    const entries = buf.readUInt16LE(6);
    const need = headSize + entries * (keySize + O) + keySize;
    if (need > buf.length) {
      buf = Buffer.allocUnsafe(need);
      r.readInto(buf, node, need);
    }
    for (let i = 0; i < entries; i++) {
      const k = headSize + i * (keySize + O);
      const child = Reader.uint(buf, k + keySize, O);
      if (level > 0) {
        stack.push(child);
        continue;
      }
      if (buf.readUInt32LE(k + 4) !== 0) throw new Error('filtered chunk');
      let flat = 0;
      for (let d = 0; d < rank; d++) flat = flat * grid[d] + Reader.uint(buf, k + 8 + 8 * d, 8) / chunk[d];
      addresses[flat] = child;
    }
  }
}
