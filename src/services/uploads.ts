/**
 * Resumable uploads: a file of up to MAX_UPLOAD_BYTES sent in pieces, each a request of its own (so each fits the
 * ordinary request time limit, and a broken connection loses one piece at most). An upload is created with its
 * length, filled by pieces at the offset received so far (which a client asks for after a failure), and used once
 * complete to register a layer: its bytes are then checked and moved into the artefact store by content hash.
 *
 * The pieces are kept in the artefact store (ALIGN_STORE_DIR/uploads/<id>/: `meta.json` and `data`), so every API
 * process of the service sees the same uploads; the offset is the size of `data`. One idle for a day (no piece
 * received) is removed when the next upload is created.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config';
import { ConflictError, DataValidationError, NotFoundError, ValidationError } from '../errors';
import { sha256File } from '../store/artefact-store';
import { artefactStore } from './artefacts';

/** The largest file of a layer upload (multipart or resumable), and of one piece of a resumable upload. */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
export const MAX_UPLOAD_PIECE_BYTES = 64 * 1024 ** 2;
/** An upload that received nothing for this long is abandoned: removed when the next upload is created. */
export const UPLOAD_IDLE_EXPIRY_MS = 24 * 3600 * 1000;

export interface Upload {
  id: string;
  /** The client's file name: its extension picks the reader (.npy, .json, .csv, .h5). */
  name: string;
  length: number;
  /** Bytes received so far: the next piece starts here. */
  offset: number;
  /** sha256 (hex) the client declared, checked when the upload is used. */
  sha256: string | null;
  createdAt: Date;
}

interface UploadMeta {
  name: string;
  length: number;
  sha256: string | null;
  createdAt: string;
}

type StoreConfig = Pick<Config, 'storeDir'>;

function uploadDir(config: StoreConfig, id: string): string {
  return path.join(artefactStore(config).root, 'uploads', id);
}

/** Remove the uploads idle for UPLOAD_IDLE_EXPIRY_MS (their data file's last change). */
async function removeAbandonedUploads(config: StoreConfig): Promise<void> {
  const root = path.join(artefactStore(config).root, 'uploads');
  const ids = await readdir(root).catch(() => [] as string[]);
  const cutoff = Date.now() - UPLOAD_IDLE_EXPIRY_MS;
  for (const id of ids) {
    const st = await stat(path.join(root, id, 'data')).catch(() => null);
    if (st && st.mtimeMs < cutoff) await rm(path.join(root, id), { recursive: true, force: true });
  }
}

export async function createUpload(
  config: StoreConfig,
  spec: { name: string; length: number; sha256?: string },
): Promise<Upload> {
  await removeAbandonedUploads(config);
  const id = randomUUID();
  const dir = uploadDir(config, id);
  await mkdir(dir, { recursive: true });
  const meta: UploadMeta = {
    name: spec.name,
    length: spec.length,
    sha256: spec.sha256 ?? null,
    createdAt: new Date().toISOString(),
  };
  await writeFile(path.join(dir, 'data'), new Uint8Array(0));
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify(meta));
  return { id, ...meta, offset: 0, createdAt: new Date(meta.createdAt) };
}

export async function getUpload(config: StoreConfig, id: string): Promise<Upload> {
  const dir = uploadDir(config, id);
  let meta: UploadMeta;
  let offset: number;
  try {
    meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as UploadMeta;
    offset = (await stat(path.join(dir, 'data'))).size;
  } catch {
    throw new NotFoundError('upload', id);
  }
  return { id, ...meta, offset, createdAt: new Date(meta.createdAt) };
}

export async function deleteUpload(config: StoreConfig, id: string): Promise<void> {
  await getUpload(config, id);
  await rm(uploadDir(config, id), { recursive: true, force: true });
}

/** Uploads receiving a piece in this process: a second piece for the same upload at once is a conflict. */
const receiving = new Set<string>();

/** A piece's place: bytes first..last (inclusive) of total, as Content-Range says (`bytes 0-1023/4096`). */
export interface PieceRange {
  first: number;
  last: number;
  total: number;
}

/**
 * Append one piece. It must start at the upload's offset (409 naming the offset otherwise) and lie within its
 * length. What arrives is kept even when the connection breaks mid-piece: the offset says where to go on.
 */
export async function appendUploadPiece(
  config: StoreConfig,
  id: string,
  range: PieceRange,
  body: Readable,
): Promise<Upload> {
  const upload = await getUpload(config, id);
  if (range.total !== upload.length)
    throw ValidationError.of(
      'headers.content-range',
      `total ${range.total} differs from the upload's length ${upload.length}`,
    );
  if (range.last >= upload.length)
    throw ValidationError.of('headers.content-range', `ends after the upload's last byte (${upload.length - 1})`);
  if (range.first !== upload.offset)
    throw new ConflictError(`upload ${id} has received ${upload.offset} bytes: the next piece starts there`, [
      { field: 'headers.content-range', reason: `must start at ${upload.offset}` },
    ]);
  if (receiving.has(id)) throw new ConflictError(`upload ${id} is receiving another piece`);
  receiving.add(id);
  try {
    const size = range.last - range.first + 1;
    let seen = 0;
    const bounded = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > size) done(ValidationError.of('body', `is longer than the ${size} bytes Content-Range gives`));
        else done(null, chunk);
      },
    });
    await pipeline(body, bounded, createWriteStream(path.join(uploadDir(config, id), 'data'), { flags: 'a' }));
    if (seen < size) throw ValidationError.of('body', `has ${seen} bytes, Content-Range gives ${size}`);
  } finally {
    receiving.delete(id);
  }
  return getUpload(config, id);
}

/**
 * A complete upload's file for registering a layer (`field` names it in errors): refused while bytes are missing
 * or when its bytes do not have the sha256 the client declared.
 */
export async function completedUploadFile(
  config: StoreConfig,
  id: string,
  field: string,
): Promise<{ file: string; originalName: string; dir: string }> {
  const upload = await getUpload(config, id).catch(() => {
    throw new DataValidationError(field, `upload ${id} does not exist`);
  });
  if (upload.offset < upload.length)
    throw new DataValidationError(field, `upload ${id} has ${upload.offset} of its ${upload.length} bytes`);
  const dir = uploadDir(config, id);
  const file = path.join(dir, 'data');
  if (upload.sha256 !== null) {
    const got = await sha256File(file);
    if (got !== upload.sha256)
      throw new DataValidationError(field, `upload ${id} has sha256 ${got}, not the ${upload.sha256} declared`);
  }
  return { file, originalName: upload.name, dir };
}
