/**
 * The artefact store: every file a job reads other than a registered dataset root (uploaded layer files, SAE
 * weights) lives under one folder (ALIGN_STORE_DIR; on a cluster, a shared filesystem), addressed by the sha256
 * of its bytes. A key is "sha256:<hex>" with the extension the readers pick the format from ("sha256:<hex>.npy");
 * its file is <store>/sha256/<hex[0..2]>/<hex><ext>. Rows hold keys, never paths, so any process resolves a key
 * against its own configured store.
 *
 * Writers write a temporary file inside the store and rename it into place: concurrent writers of the same
 * content are safe (the same bytes land under the same name; a rename over an existing copy only replaces it
 * with identical, or repaired, bytes). Nothing is ever deleted: an unreferenced file is harmless.
 *
 * Reads check the hash: small artefacts (SAE weights) at every read; large files read by path (layer
 * activations) once per process and again whenever the file's size, mtime or inode change.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArtefactError } from '../errors';

const KEY = /^sha256:([0-9a-f]{64})(\.[a-z0-9]{1,16})?$/;

/** True for a store key ("sha256:<hex>" and an optional extension); a row's absolute path never is one. */
export function isStoreKey(s: string): boolean {
  return KEY.test(s);
}

/** The sha256 (hex) a key names. */
export function keyHash(key: string): string {
  const m = KEY.exec(key);
  if (!m) throw new Error(`not an artefact key: ${JSON.stringify(key)}`);
  return m[1];
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Files whose hash this process has checked: path -> size, mtime and inode at the time. */
const verified = new Map<string, string>();

/** Flush a file's bytes to disk before it is renamed into place (a crash never leaves a short file under a key). */
async function syncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class ArtefactStore {
  constructor(readonly root: string) {}

  /** Where a key's file lies in this store (the key is checked, so the path never leaves the store). */
  fileOf(key: string): string {
    const m = KEY.exec(key);
    if (!m) throw new Error(`not an artefact key: ${JSON.stringify(key)}`);
    return path.join(this.root, 'sha256', m[1].slice(0, 2), `${m[1]}${m[2] ?? ''}`);
  }

  /** A fresh folder for files on their way in (uploads): inside the store, so moving them in is a rename. */
  async scratchDir(): Promise<string> {
    const dir = path.join(this.root, 'tmp', randomUUID());
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Store bytes (SAE weights); returns their key. */
  async putBytes(bytes: Uint8Array, ext = ''): Promise<string> {
    const key = `sha256:${sha256(bytes)}${ext}`;
    const tmp = await this.tempPath();
    try {
      await writeFile(tmp, bytes);
      await this.install(tmp, key);
    } finally {
      await rm(tmp, { force: true });
    }
    return key;
  }

  /**
   * Store a file; returns its key. The file is moved in when it lies on the store's filesystem (an upload in
   * scratchDir()), copied otherwise; with `keep` it is always copied and left where it is. `sha256`: the hash
   * the caller has just computed of this very file (an upload it checked), not computed again.
   */
  async putFile(file: string, ext = '', opts: { keep?: boolean; sha256?: string } = {}): Promise<string> {
    const key = `sha256:${opts.sha256 ?? (await sha256File(file))}${ext}`;
    const tmp = await this.tempPath();
    try {
      if (opts.keep) await copyFile(file, tmp);
      else
        await rename(file, tmp).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EXDEV') throw err;
          await copyFile(file, tmp);
          await unlink(file);
        });
      await this.install(tmp, key);
    } finally {
      await rm(tmp, { force: true });
    }
    return key;
  }

  /** The bytes of a key, checked against its hash at every read (SAE weights). */
  async readBytes(key: string, field: string): Promise<Uint8Array> {
    const file = await this.regularFile(key, field);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw missing(field, key, err);
    }
    const got = sha256(bytes);
    if (got !== keyHash(key)) throw corrupt(field, key, got);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * The path of a key's file for readers that open it themselves (layer activations, possibly gigabytes). Its
   * hash is checked once per process, and again when the file's size, mtime or inode differ from that check.
   */
  async verifiedFile(key: string, field: string): Promise<string> {
    const file = await this.regularFile(key, field);
    const st = await lstat(file);
    const stamp = `${st.size}/${st.mtimeMs}/${st.dev}/${st.ino}`;
    if (verified.get(file) === stamp) return file;
    let got: string;
    try {
      got = await sha256File(file);
    } catch (err) {
      throw missing(field, key, err);
    }
    if (got !== keyHash(key)) {
      verified.delete(file);
      throw corrupt(field, key, got);
    }
    verified.set(file, stamp);
    return file;
  }

  /** The key's file, which must be a regular file (not a link leading elsewhere). */
  private async regularFile(key: string, field: string): Promise<string> {
    const file = this.fileOf(key);
    const st = await lstat(file).catch((err) => {
      throw missing(field, key, err);
    });
    if (!st.isFile())
      throw new ArtefactError(field, key, 'corrupt', `artefact ${key} in the store is not a regular file`);
    return file;
  }

  private async tempPath(): Promise<string> {
    const dir = path.join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return path.join(dir, `${randomUUID()}.part`);
  }

  private async install(tmp: string, key: string): Promise<void> {
    const target = this.fileOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    await syncFile(tmp);
    await rename(tmp, target);
  }
}

function missing(field: string, key: string, err: unknown): ArtefactError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOENT' ? 'is missing from' : `cannot be read from (${code ?? 'error'})`;
  return new ArtefactError(field, key, 'missing', `artefact ${key} ${why} the artefact store (ALIGN_STORE_DIR)`, {
    cause: err,
  });
}

function corrupt(field: string, key: string, got: string): ArtefactError {
  return new ArtefactError(
    field,
    key,
    'corrupt',
    `artefact ${key} is corrupted: the stored file's sha256 is ${got}, not the one its key names`,
  );
}
