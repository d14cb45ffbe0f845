/**
 * The artefact store (src/store/artefact-store.ts): content-addressed put and get, the same content stored once
 * whoever writes it (concurrent writers included), and missing or corrupted files refused as ArtefactError
 * naming the key.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtefactError } from '../../src/errors';
import { toHttpProblem } from '../../src/http/error-mapping';
import { problemBody } from '../../src/http/problem';
import { ArtefactStore, isStoreKey, keyHash } from '../../src/store/artefact-store';

let dir: string;
let store: ArtefactStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'artefact-store-'));
  store = new ArtefactStore(path.join(dir, 'store'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array | Buffer) => createHash('sha256').update(b).digest('hex');

async function storedFiles(): Promise<string[]> {
  const out: string[] = [];
  const top = path.join(store.root, 'sha256');
  for (const d of await readdir(top)) for (const f of await readdir(path.join(top, d))) out.push(`${d}/${f}`);
  return out.sort();
}

/** ArtefactError's fields, for toMatchObject. */
async function failure(p: Promise<unknown>): Promise<ArtefactError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArtefactError);
  return err as ArtefactError;
}

describe('ArtefactStore', () => {
  it('puts bytes under their sha256 and reads them back', async () => {
    const b = bytes('weights of an SAE');
    const key = await store.putBytes(b, '.safetensors');
    expect(key).toBe(`sha256:${sha(b)}.safetensors`);
    expect(isStoreKey(key)).toBe(true);
    expect(keyHash(key)).toBe(sha(b));
    expect(store.fileOf(key)).toBe(path.join(store.root, 'sha256', sha(b).slice(0, 2), `${sha(b)}.safetensors`));
    expect(Buffer.from(await store.readBytes(key, 'sae.weights')).toString()).toBe('weights of an SAE');
    // Nothing is left in the temporary folder.
    expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });

  it('stores the same content once, from bytes, files and concurrent writers', async () => {
    const b = bytes('x'.repeat(100_000));
    const src = path.join(dir, 'acts.npy');
    await writeFile(src, b);
    const keys = await Promise.all([
      store.putBytes(b, '.npy'),
      store.putBytes(b, '.npy'),
      store.putFile(src, '.npy', { keep: true }),
      store.putFile(src, '.npy', { keep: true }),
    ]);
    expect(new Set(keys).size).toBe(1);
    expect(await storedFiles()).toEqual([`${sha(b).slice(0, 2)}/${sha(b)}.npy`]);
    expect(await readFile(src)).toEqual(Buffer.from(b)); // kept
    // Moved in from a scratch folder: the upload's file is gone, the stored copy is whole.
    const scratch = await store.scratchDir();
    const up = path.join(scratch, 'upload');
    await writeFile(up, b);
    expect(await store.putFile(up, '.npy')).toBe(keys[0]);
    await expect(readFile(up)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(sha(await readFile(await store.verifiedFile(keys[0], 'layer.activations')))).toBe(sha(b));
    // Other content or another extension is another key.
    expect(await store.putBytes(bytes('y'), '.npy')).not.toBe(keys[0]);
    expect(await store.putBytes(b, '.json')).toBe(`sha256:${sha(b)}.json`);
  });

  it('refuses a missing artefact, naming its key and where it was needed', async () => {
    const key = `sha256:${'ab'.repeat(32)}.safetensors`;
    const err = await failure(store.readBytes(key, 'sae.weights'));
    expect(err).toMatchObject({ field: 'sae.weights', key, problem: 'missing' });
    expect(err.message).toContain(key);
    expect(err.message).not.toContain(store.root);
    expect(await failure(store.verifiedFile(key, 'layer.activations'))).toMatchObject({
      field: 'layer.activations',
      problem: 'missing',
    });
  });

  it('refuses a corrupted artefact at every read of bytes, and at the next path read after the file changed', async () => {
    const key = await store.putBytes(bytes('0123456789'), '.npy');
    expect(await store.verifiedFile(key, 'layer.activations')).toBe(store.fileOf(key));
    await writeFile(store.fileOf(key), bytes('0123456780'));
    // Same size, a new mtime: checked again.
    await utimes(store.fileOf(key), new Date(), new Date(Date.now() + 5000));
    const err = await failure(store.verifiedFile(key, 'layer.activations'));
    expect(err).toMatchObject({ key, problem: 'corrupt', field: 'layer.activations' });
    expect(err.reason).toContain(sha(bytes('0123456780')));
    expect(await failure(store.readBytes(key, 'sae.weights'))).toMatchObject({ problem: 'corrupt' });
    // Writing the same content again repairs it.
    expect(await store.putBytes(bytes('0123456789'), '.npy')).toBe(key);
    expect(Buffer.from(await store.readBytes(key, 'sae.weights')).toString()).toBe('0123456789');
  });

  it('refuses a link in place of a stored file', async () => {
    const b = bytes('linked');
    const key = await store.putBytes(b);
    const elsewhere = path.join(dir, 'elsewhere');
    await writeFile(elsewhere, b);
    await rm(store.fileOf(key));
    await symlink(elsewhere, store.fileOf(key));
    expect(await failure(store.readBytes(key, 'sae.weights'))).toMatchObject({ problem: 'corrupt' });
  });

  it('maps to problem+json naming the artefact', async () => {
    const key = `sha256:${'cd'.repeat(32)}.npy`;
    const body = problemBody(toHttpProblem(await failure(store.verifiedFile(key, 'layer.activations'))));
    expect(body).toMatchObject({ type: '/problems/artefact-unavailable', status: 500 });
    expect(body.errors).toEqual([{ field: 'layer.activations', reason: expect.stringContaining(key) }]);
  });

  it('accepts only keys it wrote the shape of', () => {
    for (const bad of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(64)}/../x`, '/tmp/x.npy', ''])
      expect(isStoreKey(bad), bad).toBe(false);
    expect(() => store.fileOf('../../etc/passwd')).toThrow(/not an artefact key/);
  });
});
