/**
 * Issue 10 item 14: /v1/health shows no absolute paths of the service's files; errors name the path the
 * client sent (not "."); a relative manifestPath is read from the dataset root, not the working directory.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';

const REPO = path.resolve(import.meta.dirname, '../..');
let app: TestApp;

beforeAll(async () => {
  // The backend ladder unforced, so health lists the rungs skipped (their reasons once held file paths).
  app = await startTestApp({ ALIGN_BACKEND: undefined } as unknown as Record<string, string>);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('paths in responses', () => {
  it('health names no absolute path of the service', async () => {
    const text = await (await app.request('/v1/health')).text();
    expect(JSON.parse(text).compute.skipped.length).toBeGreaterThan(0);
    expect(text).not.toContain(REPO);
    expect(text).not.toMatch(/\/(work|home|root|usr|tmp)\//);
  });

  it('errors name the path the client sent', async () => {
    const manifest = JSON.parse(await readFile('test/fixtures/nsd/manifest.json', 'utf8'));
    const root = await (
      await app.request('/v1/datasets', { method: 'POST', auth: true, json: { name: 'a', root: '/etc', manifest } })
    ).json();
    expect(root.errors[0].reason).toContain('"/etc"');
    const file = await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'b', root: app.dataDir, manifestPath: '/etc/passwd' },
      })
    ).json();
    expect(file.type).toBe('/problems/path-outside-roots');
    expect(file.errors[0]).toMatchObject({ field: 'body.manifestPath' });
    expect(file.errors[0].reason).toContain('"/etc/passwd"');
    expect(JSON.stringify([root, file])).not.toMatch(/"\."/);
  });

  it('reads a relative manifestPath from the dataset root', async () => {
    const tree = path.join(app.dataDir, 'tree');
    await cp('test/fixtures/nsd/tree', tree, { recursive: true });
    await writeFile(path.join(tree, 'my-manifest.json'), await readFile('test/fixtures/nsd/manifest.json'));
    const res = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'rel', root: tree, manifestPath: 'my-manifest.json' },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const missing = await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'rel2', root: tree, manifestPath: 'nope.json' },
      })
    ).json();
    expect(missing.errors[0]).toMatchObject({ field: 'body.manifestPath' });
    expect(missing.errors[0].reason).toContain('nope.json');
  });
});
