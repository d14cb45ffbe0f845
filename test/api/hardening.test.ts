/**
 * Regression tests for issue 10, items 4-10: hostile input must get a problem+json 4xx naming the
 * field, never a 500, and must write nothing. Real app, real PostgreSQL, real HTTP (raw sockets where
 * fetch cannot send the hostile thing).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeNpy } from '../../src/io/npy';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app';
import { rawRequest } from '../helpers/raw-http';
import { rowCounts } from '../helpers/row-counts';

let app: TestApp;
let modelId: string;
const counts = () => rowCounts(app.db.prisma);
const RANDOM_ID = '3f1c2a9e-7b7d-4c1e-9a52-1d2f7f0c9b11';

beforeAll(async () => {
  app = await startTestApp({ ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS: '2', ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS: '1.5' });
  const m = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'net' } });
  modelId = (await m.json()).id;
  await mkdir(path.join(app.dataDir, 'acts'), { recursive: true });
  await writeFile(path.join(app.dataDir, 'acts/l1.npy'), writeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]));
  await writeFile(path.join(app.dataDir, 'acts/ids.npy'), writeNpy(Int32Array.from([5, 17, 3]), [3]));
  await writeFile(path.join(app.dataDir, 'acts/empty.npy'), writeNpy(new Float32Array(0), [0, 2]));
  await writeFile(path.join(app.dataDir, 'acts/no-units.npy'), writeNpy(new Float32Array(0), [3, 0]));
  await writeFile(path.join(app.dataDir, 'acts/ids-empty.npy'), writeNpy(new Int32Array(0), [0]));
});
afterAll(async () => {
  await app?.close();
});

async function expectProblem(res: Response, status: number, field?: string | RegExp) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.status).toBe(status);
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (field !== undefined)
    expect(body.errors?.map((e: { field: string }) => e.field)).toContainEqual(
      field instanceof RegExp ? expect.stringMatching(field) : field,
    );
  return body as { type: string; detail: string; errors?: { field: string; reason: string }[] };
}

function layerBody(extra: Record<string, unknown> = {}) {
  return { name: 'l', activations: { path: 'acts/l1.npy' }, stimulusIds: { path: 'acts/ids.npy' }, ...extra };
}

describe('item 4: NUL bytes', () => {
  it('rejects NUL bytes in query strings, JSON bodies and multipart fields with 400 naming the field', async () => {
    const before = await counts();
    for (const name of ['subject', 'atlas', 'roi', 'preset']) {
      await expectProblem(await app.request(`/v1/scores?${name}=%00`), 400, `query.${name}`);
    }
    await expectProblem(
      await app.request(`/v1/scores/matrix?modelId=${modelId}&subject=subj01&atlas=%00`),
      400,
      'query.atlas',
    );
    await expectProblem(
      await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'n1', description: 'a\u0000b' } }),
      400,
      'body.description',
    );
    const alignment = { datasetId: RANDOM_ID, subject: 'subj01', atlas: 'prf\u0000', layerIds: [RANDOM_ID] };
    await expectProblem(
      await app.request('/v1/alignments', { method: 'POST', auth: true, json: alignment }),
      400,
      'body.atlas',
    );
    await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, {
        method: 'POST',
        auth: true,
        json: layerBody({ name: 'x\u0000y' }),
      }),
      400,
      'body.name',
    );
    const form = new FormData();
    form.set('name', 'x\u0000y');
    form.set('activations', new Blob([await readFile(path.join(app.dataDir, 'acts/l1.npy'))]), 'a.npy');
    form.set('stimulusIds', new Blob([await readFile(path.join(app.dataDir, 'acts/ids.npy'))]), 'i.npy');
    await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, { method: 'POST', auth: true, body: form }),
      400,
      'body.name',
    );
    // A NUL in an object key is refused as well (it would reach JSON columns).
    await expectProblem(
      await app.request('/v1/experiments/toy-superposition', { method: 'POST', auth: true, json: { 'a\u0000': 1 } }),
      400,
      /^body/,
    );
    expect(await counts()).toEqual(before);
  });
});

describe('item 5: malformed percent-encoding', () => {
  it('answers a malformed percent-encoded path id with 400 problem+json on every id route', async () => {
    const spec = parseYaml(await readFile('openapi.yaml', 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const idPaths = Object.entries(spec.paths).filter(([p]) => p.includes('{id}'));
    expect(idPaths.length).toBeGreaterThan(8);
    for (const [p, ops] of idPaths) {
      for (const method of Object.keys(ops)) {
        for (const bad of ['%', '%E0%A4%A', '%zz']) {
          const res = await app.request(p.replace('{id}', bad), {
            method: method.toUpperCase(),
            auth: true,
            json: method === 'get' || method === 'delete' ? undefined : {},
          });
          await expectProblem(res, 400, 'params.id');
        }
      }
    }
  });
});

describe('item 6: bad Content-Encoding', () => {
  it('answers a body that is not the gzip, deflate or br it claims with 400 problem+json, and an unknown coding with 415', async () => {
    const before = await counts();
    for (const enc of ['gzip', 'deflate', 'br']) {
      const res = await app.request('/v1/models', {
        method: 'POST',
        auth: true,
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': enc },
        body: '{"name":"enc"}',
      });
      const p = await expectProblem(res, 400, 'body');
      expect(p.errors?.[0].reason).toMatch(new RegExp(enc));
    }
    await expectProblem(
      await app.request('/v1/models', {
        method: 'POST',
        auth: true,
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'x-bogus' },
        body: '{"name":"enc"}',
      }),
      415,
    );
    expect(await counts()).toEqual(before);
    // A real gzip body is still accepted.
    const ok = await app.request('/v1/models', {
      method: 'POST',
      auth: true,
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync('{"name":"gz"}'),
    });
    expect(ok.status).toBe(201);
  });
});

describe('item 7: integers bounded by their 32-bit columns', () => {
  it('refuses position 2147483648 (JSON and multipart) and other out-of-range integers with 400 naming the field', async () => {
    const before = await counts();
    await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, {
        method: 'POST',
        auth: true,
        json: layerBody({ position: 2147483648 }),
      }),
      400,
      'body.position',
    );
    const form = new FormData();
    form.set('name', 'big');
    form.set('position', '2147483648');
    form.set('activations', new Blob([await readFile(path.join(app.dataDir, 'acts/l1.npy'))]), 'a.npy');
    form.set('stimulusIds', new Blob([await readFile(path.join(app.dataDir, 'acts/ids.npy'))]), 'i.npy');
    await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, { method: 'POST', auth: true, body: form }),
      400,
      'body.position',
    );
    await expectProblem(await app.request('/v1/models?offset=1e20'), 400, 'query.offset');
    await expectProblem(await app.request('/v1/scores?offset=99999999999999999999'), 400, 'query.offset');
    await expectProblem(
      await app.request(`/v1/layers/${RANDOM_ID}/saes`, { method: 'POST', auth: true, json: { k: 2 ** 31 } }),
      400,
      'body.k',
    );
    await expectProblem(
      await app.request(`/v1/layers/${RANDOM_ID}/saes`, {
        method: 'POST',
        auth: true,
        json: { k: 4, latents: 2 ** 40 },
      }),
      400,
      'body.latents',
    );
    expect(await counts()).toEqual(before);
    // The largest value the column holds is accepted.
    const ok = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: layerBody({ name: 'deep', position: 2 ** 31 - 1 }),
    });
    expect(ok.status).toBe(201);
    expect((await ok.json()).position).toBe(2 ** 31 - 1);
  });
});

describe('item 8: 415 for a wrong or missing content type', () => {
  it('answers 415 on every body route for text/plain and for no content type, writing nothing', async () => {
    const spec = parseYaml(await readFile('openapi.yaml', 'utf8')) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    const bodyOps = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody)
        .map(([m, op]) => [m, p.replace('{id}', modelId), Object.keys(op.requestBody!.content)] as const),
    );
    expect(bodyOps.length).toBeGreaterThanOrEqual(7);
    const before = await counts();
    for (const [method, p, types] of bodyOps) {
      const text = await app.request(p, {
        method: method.toUpperCase(),
        auth: true,
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      const body = await expectProblem(text, 415);
      expect(body.type).toBe('/problems/unsupported-media-type');
      // The answer names what the route takes (JSON, or raw bytes for a resumable upload's piece).
      expect(body.detail).toContain(types[0]);
      // No Content-Type at all, with and without a body.
      await expectProblem(await rawPost(p, '{}', {}, true, method.toUpperCase()), 415);
      await expectProblem(await app.request(p, { method: method.toUpperCase(), auth: true }), 415);
    }
    expect(await counts()).toEqual(before);
  });
});

/** fetch always adds a Content-Type for string bodies; node's raw socket does not. */
async function rawPost(
  p: string,
  body: string,
  headers: Record<string, string>,
  auth = true,
  method = 'POST',
): Promise<Response> {
  const lines = [
    `${method} ${p} HTTP/1.1`,
    'Host: x',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (auth) lines.push(`Authorization: Bearer ${TEST_ADMIN_KEY}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const r = await rawRequest(app.service.port, `${lines.join('\r\n')}\r\n\r\n${body}`);
  return new Response(r.body, { status: r.status, headers: r.headers });
}

describe('item 9: authentication before the body, limits and timeouts', () => {
  it('answers 401 (not 400) to an invalid JSON body without a key', async () => {
    await expectProblem(await rawPost('/v1/models', '{"name": ', { 'Content-Type': 'application/json' }, false), 401);
    await expectProblem(
      await app.request('/v1/models', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' }),
      401,
    );
  });

  it('answers 413 at once when the declared Content-Length exceeds the route limit, without reading the body', async () => {
    const before = await counts();
    const head = (auth: boolean) =>
      [
        'POST /v1/models HTTP/1.1',
        'Host: x',
        'Content-Type: application/json',
        'Content-Length: 2000000000',
        ...(auth ? [`Authorization: Bearer ${TEST_ADMIN_KEY}`] : []),
        '',
        '',
      ].join('\r\n');
    const big = await rawRequest(app.service.port, head(true), { chunks: ['{"name":'], waitMs: 1500 });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(big.body).detail).toMatch(/1048576/);
    // Without a key: 401 first, also at once.
    const anon = await rawRequest(app.service.port, head(false), { waitMs: 1500 });
    expect(anon.status).toBe(401);
    expect(await counts()).toEqual(before);
  });

  it('documents each body route limit in openapi.yaml and enforces it on chunked bodies too', async () => {
    const spec = parseYaml(await readFile('openapi.yaml', 'utf8')) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, unknown> }; 'x-body-limits'?: Record<string, number> }>
      >;
    };
    for (const ops of Object.values(spec.paths)) {
      for (const op of Object.values(ops)) {
        if (!op.requestBody) continue;
        expect(Object.keys(op['x-body-limits'] ?? {}).sort()).toEqual(Object.keys(op.requestBody.content).sort());
      }
    }
    const limit = spec.paths['/v1/models'].post['x-body-limits']!['application/json'];
    const body = JSON.stringify({ name: 'huge', description: 'x'.repeat(limit) });
    const res = await rawRequest(
      app.service.port,
      [
        'POST /v1/models HTTP/1.1',
        'Host: x',
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
        `Authorization: Bearer ${TEST_ADMIN_KEY}`,
        '',
        '',
      ].join('\r\n'),
      {
        chunks: [`${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      },
    );
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('drops a slow body after the request timeout and slow headers after the headers timeout, with 408 problem+json', async () => {
    const slowBody = await rawRequest(
      app.service.port,
      [
        'POST /v1/models HTTP/1.1',
        'Host: x',
        'Content-Type: application/json',
        'Content-Length: 100',
        `Authorization: Bearer ${TEST_ADMIN_KEY}`,
        '',
        '',
      ].join('\r\n'),
      { chunks: ['{', '"'], chunkDelayMs: 300, waitMs: 10_000 },
    );
    expect(slowBody.elapsedMs).toBeLessThan(8000);
    expect(slowBody.status).toBe(408);
    expect(slowBody.headers['content-type']).toMatch(/^application\/problem\+json/);
    // The answer names the settings an operator changes to admit slower clients.
    expect(JSON.parse(slowBody.body).detail).toMatch(/ALIGN_UPLOAD_MIN_RATE_KBPS.*ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS/);
    const slowHeaders = await rawRequest(app.service.port, 'GET /v1/models HTTP/1.1\r\nHost: x\r\n', {
      chunks: ['X-A: 1\r\n'],
      chunkDelayMs: 500,
      waitMs: 10_000,
    });
    expect(slowHeaders.elapsedMs).toBeLessThan(8000);
    expect(slowHeaders.status).toBe(408);
    expect(JSON.parse(slowHeaders.body).detail).toMatch(/ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS/);
  });

  it("answers Node's own parser errors (431, bad framing) with problem+json", async () => {
    const huge = await rawRequest(
      app.service.port,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge.status).toBe(431);
    expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(huge.body).type).toBe('/problems/header-too-large');
    for (const framing of [
      'POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'GET /v1/models HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
      'NOT-HTTP\r\n\r\n',
    ]) {
      const r = await rawRequest(app.service.port, framing);
      expect(r.status, framing).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(r.body).type).toBe('/problems/bad-request');
    }
  });

  it('answers an HTTP/1.1 request without Host with 400 problem+json (HTTP/1.0 needs none)', async () => {
    const r = await rawRequest(app.service.port, 'GET /v1/models HTTP/1.1\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.headers.connection).toBe('close');
    const body = JSON.parse(r.body);
    expect(body.type).toBe('/problems/bad-request');
    expect(body.detail).toMatch(/Host header is missing/);
    expect(body.requestId).toBe(r.headers['x-request-id']);
    expect((await rawRequest(app.service.port, 'GET /v1/models HTTP/1.0\r\n\r\n')).status).toBe(200);
    expect(
      (await rawRequest(app.service.port, 'GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status,
    ).toBe(200);
  });

  it('answers unknown /docs paths with 404 problem+json', async () => {
    await expectProblem(await app.request('/docs/nothing-here.js'), 404);
    await expectProblem(await app.request('/docs/../../etc/passwd'), 404);
    expect((await app.request('/docs/')).status).toBe(200);
  });
});

describe('item 10: zero-row layers', () => {
  it('refuses an activation matrix with no rows, or no units, naming the field', async () => {
    const before = await counts();
    const empty = await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, {
        method: 'POST',
        auth: true,
        json: layerBody({
          name: 'empty',
          activations: { path: 'acts/empty.npy' },
          stimulusIds: { path: 'acts/ids-empty.npy' },
        }),
      }),
      400,
      'body.activations',
    );
    expect(empty.errors?.[0].reason).toMatch(/no rows|0 rows/);
    const noUnits = await expectProblem(
      await app.request(`/v1/models/${modelId}/layers`, {
        method: 'POST',
        auth: true,
        json: layerBody({ name: 'narrow', activations: { path: 'acts/no-units.npy' } }),
      }),
      400,
      'body.activations',
    );
    expect(noUnits.errors?.[0].reason).toMatch(/no units|0 units|columns/);
    expect(await counts()).toEqual(before);
  });
});
