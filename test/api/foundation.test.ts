/** HTTP conventions against the running app on a real database: health, problem+json, auth, docs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../../src/services/api-keys';
import { startTestApp, type TestApp } from '../helpers/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function expectProblem(res: Response, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await res.json();
  expect(body.type).toBe(type);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|stack/i);
  return body as { errors?: { field: string; reason: string }[]; detail: string };
}

describe('health', () => {
  it('answers 200 with database up, backend, version and uptime', async () => {
    const res = await app.request('/v1/health');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    expect(body.database.status).toBe('up');
    expect(body.compute.backend).toBe('wasm');
    expect(typeof body.compute.native.native).toBe('boolean');
    // The GPU path: in use with its device, or the reason it is not (no GPU on these machines).
    expect(typeof body.compute.cuda.available).toBe('boolean');
    if (body.compute.cuda.available) expect(body.compute.cuda.device.name).toBeTruthy();
    else expect(body.compute.cuda.reason).toMatch(/^(cuda: |addon not built|disabled)/);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('echoes a caller request id and invents one otherwise', async () => {
    const mine = await app.request('/v1/health', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const theirs = await app.request('/v1/health');
    expect(theirs.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('problem+json errors', () => {
  it('names the failing body field', async () => {
    const body = await expectProblem(
      await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 42 } }),
      400,
      '/problems/validation',
    );
    expect(body.errors).toEqual([expect.objectContaining({ field: 'body.name' })]);
  });

  it('names unknown body fields', async () => {
    const body = await expectProblem(
      await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'm', colour: 'red' } }),
      400,
      '/problems/validation',
    );
    expect(body.errors?.[0].reason).toMatch(/colour/);
  });

  it('names the failing path parameter and query parameter', async () => {
    const p = await expectProblem(await app.request('/v1/models/not-a-uuid'), 400, '/problems/validation');
    expect(p.errors?.[0].field).toBe('params.id');
    const q = await expectProblem(await app.request('/v1/models?limit=-3'), 400, '/problems/validation');
    expect(q.errors?.[0].field).toBe('query.limit');
  });

  it('rejects malformed JSON without echoing internals', async () => {
    const res = await app.request('/v1/models', {
      method: 'POST',
      auth: true,
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": ',
    });
    const body = await expectProblem(res, 400, '/problems/invalid-json');
    expect(body.errors?.[0].field).toBe('body');
  });

  it('answers unknown routes and missing resources with 404 problems', async () => {
    await expectProblem(await app.request('/v1/nothing-here'), 404, '/problems/not-found');
    await expectProblem(
      await app.request('/v1/models/00000000-0000-4000-8000-000000000000'),
      404,
      '/problems/not-found',
    );
  });

  it('answers a duplicate name with 409 naming the field', async () => {
    expect((await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'dup' } })).status).toBe(201);
    const body = await expectProblem(
      await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'dup' } }),
      409,
      '/problems/conflict',
    );
    expect(body.errors?.[0].field).toBe('body.name');
  });
});

describe('API keys', () => {
  it('refuses writes without a key, with a bad key and with a revoked key', async () => {
    const none = await app.request('/v1/models', { method: 'POST', json: { name: 'x' } });
    await expectProblem(none, 401, '/problems/unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectProblem(
      await app.request('/v1/models', {
        method: 'POST',
        headers: { Authorization: 'Bearer nope' },
        json: { name: 'x' },
      }),
      401,
      '/problems/unauthorized',
    );

    const k = await createApiKey(app.db.prisma, 'ci');
    const stored = await app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } });
    expect(stored.hash).not.toContain(k.key);
    expect(JSON.stringify(stored)).not.toContain(k.key);
    const ok = await app.request('/v1/models', {
      method: 'POST',
      headers: { Authorization: `Bearer ${k.key}` },
      json: { name: 'with-key' },
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('location')).toMatch(/^\/v1\/models\/[0-9a-f-]{36}$/);

    expect(await revokeApiKey(app.db.prisma, k.prefix)).toBe(1);
    await expectProblem(
      await app.request('/v1/models', {
        method: 'POST',
        headers: { Authorization: `Bearer ${k.key}` },
        json: { name: 'after-revoke' },
      }),
      401,
      '/problems/unauthorized',
    );
  });

  it('leaves reads open by default', async () => {
    const res = await app.request('/v1/models');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items.map((m: { name: string }) => m.name)).toContain('with-key');
  });
});

describe('docs', () => {
  it('serves the interactive docs and the spec', async () => {
    const html = await app.request('/docs/');
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('swagger-ui');
    const bundle = await app.request('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    const spec = await (await app.request('/openapi.json')).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/v1/health');
  });
});
