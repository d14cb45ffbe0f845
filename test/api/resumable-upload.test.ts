/**
 * Issue 22 item 5 (b): resumable uploads. A layer's files sent in pieces with Content-Range, one piece cut off by a
 * broken connection and resumed from the offset the service reports, then registered from the upload ids (checked,
 * moved into the artefact store, the uploads removed). Real service, PostgreSQL and HTTP (a raw socket breaks).
 */
import { createHash } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app';

let app: TestApp;
let modelId: string;

beforeAll(async () => {
  app = await startTestApp();
  const m = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'pieces' } });
  modelId = (await m.json()).id;
});
afterAll(async () => {
  await app?.close();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function put(id: string, bytes: Uint8Array, first: number, total: number, headers: Record<string, string> = {}) {
  return app.request(`/v1/uploads/${id}`, {
    method: 'PUT',
    auth: true,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `bytes ${first}-${first + bytes.length - 1}/${total}`,
      ...headers,
    },
    body: bytes,
  });
}

async function create(name: string, bytes: Uint8Array, sha = sha256(bytes)) {
  const res = await app.request('/v1/uploads', {
    method: 'POST',
    auth: true,
    json: { name, length: bytes.length, sha256: sha },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
}

/** A piece whose connection breaks after `sent` of its bytes (a flaky link). */
function brokenPiece(id: string, bytes: Uint8Array, first: number, total: number, sent: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.service.port, '127.0.0.1', () => {
      socket.write(
        [
          `PUT /v1/uploads/${id} HTTP/1.1`,
          'Host: x',
          `Authorization: Bearer ${TEST_ADMIN_KEY}`,
          'Content-Type: application/octet-stream',
          `Content-Range: bytes ${first}-${first + bytes.length - 1}/${total}`,
          `Content-Length: ${bytes.length}`,
          '',
          '',
        ].join('\r\n'),
      );
      socket.write(bytes.subarray(0, sent), () => setTimeout(() => socket.destroy(), 300));
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

describe('resumable uploads (issue 22 item 5)', () => {
  it('registers a layer from pieces, resuming after a broken connection from the offset the service gives', async () => {
    const rows = 40;
    const cols = 300;
    const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 3);
    const acts = writeNpy(values, [rows, cols]);
    const ids = new TextEncoder().encode(JSON.stringify(Array.from({ length: rows }, (_, i) => 1000 + i * 3)));
    const actsId = await create('layer.npy', acts);
    const idsId = await create('ids.json', ids);
    const piece = 16_384;

    expect((await put(actsId, acts.subarray(0, piece), 0, acts.length)).status).toBe(200);
    // A piece that does not start at the offset: 409 naming it.
    const wrong = await put(actsId, acts.subarray(2 * piece, 3 * piece), 2 * piece, acts.length);
    expect(wrong.status).toBe(409);
    expect((await wrong.json()).detail).toMatch(`has received ${piece} bytes`);
    // Not complete yet: the layer is refused naming the field, and the upload stays.
    const early = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'early', activations: { upload: actsId }, stimulusIds: { upload: idsId } },
    });
    expect(early.status).toBe(400);
    expect((await early.json()).errors[0].field).toBe('body.activations.upload');

    // The connection breaks 5,000 bytes into the second piece; what arrived is kept.
    await brokenPiece(actsId, acts.subarray(piece, 2 * piece), piece, acts.length, 5000);
    await expect
      .poll(async () => (await (await app.request(`/v1/uploads/${actsId}`, { auth: true })).json()).offset)
      .toBe(piece + 5000);
    for (let at = piece + 5000; at < acts.length; at += piece) {
      const res = await put(actsId, acts.subarray(at, Math.min(at + piece, acts.length)), at, acts.length);
      expect(res.status).toBe(200);
    }
    const done = await (await app.request(`/v1/uploads/${actsId}`, { auth: true })).json();
    expect(done).toMatchObject({ offset: acts.length, length: acts.length, complete: true });
    expect((await put(idsId, ids, 0, ids.length)).status).toBe(200);

    const res = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'resumed', activations: { upload: actsId }, stimulusIds: { upload: idsId } },
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const layer = JSON.parse(text);
    expect(layer).toMatchObject({ count: rows, width: cols, checksum: sha256(acts) });
    expect(layer.activations.path).toBe(`sha256:${sha256(acts)}.npy`);
    expect(layer.stimulusIds.path).toBe(`sha256:${sha256(ids)}.json`);
    // The uploads are used up.
    expect((await app.request(`/v1/uploads/${actsId}`, { auth: true })).status).toBe(404);
  });

  it('refuses bytes that differ from the declared sha256, bad ranges and oversized pieces, naming the header', async () => {
    const acts = writeNpy(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const ids = new TextEncoder().encode('[5, 9]');
    const actsId = await create('a.npy', acts, '0'.repeat(64));
    const idsId = await create('i.json', ids);
    expect((await put(actsId, acts, 0, acts.length)).status).toBe(200);
    expect((await put(idsId, ids, 0, ids.length)).status).toBe(200);
    const res = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'corrupt', activations: { upload: actsId }, stimulusIds: { upload: idsId } },
    });
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.errors[0].field).toBe('body.activations.upload');
    expect(problem.detail).toMatch('not the 0000');
    // A refused layer leaves its uploads for another try.
    expect((await app.request(`/v1/uploads/${idsId}`, { auth: true })).status).toBe(200);

    const noRange = await app.request(`/v1/uploads/${idsId}`, {
      method: 'PUT',
      auth: true,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: ids,
    });
    expect(noRange.status).toBe(400);
    expect((await noRange.json()).errors[0].field).toBe('headers.content-range');
    const other = await create('o.npy', acts);
    const badTotal = await put(other, acts, 0, acts.length + 1);
    expect(badTotal.status).toBe(400);
    expect((await badTotal.json()).errors[0].field).toBe('headers.content-range');
    const tooLong = await app.request('/v1/uploads', {
      method: 'POST',
      auth: true,
      json: { name: 'big.npy', length: 2 * 1024 ** 3 + 1 },
    });
    expect(tooLong.status).toBe(400);
    expect((await app.request(`/v1/uploads/${other}`, { method: 'DELETE', auth: true })).status).toBe(204);
    expect((await app.request(`/v1/uploads/${other}`, { auth: true })).status).toBe(404);
  });

  it('removes an upload idle for a day when the next one is created', async () => {
    const bytes = new Uint8Array(10);
    const idle = await create('idle.npy', bytes);
    const busy = await create('busy.npy', bytes);
    const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
    const data = path.join(app.service.context.config.storeDir, 'uploads', idle, 'data');
    await utimes(data, twoDaysAgo, twoDaysAgo);
    await create('next.npy', bytes);
    expect((await app.request(`/v1/uploads/${idle}`, { auth: true })).status).toBe(404);
    expect((await app.request(`/v1/uploads/${busy}`, { auth: true })).status).toBe(200);
  });
});
