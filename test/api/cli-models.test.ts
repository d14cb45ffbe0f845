/**
 * The CLI as a user runs it (`npm run cli -- ...`, a real process) against the real service: `keys create
 * --quiet` prints a key that writes; `models register <model.json>` uploads local layer files (streamed, with a
 * progress bar on stderr) and registers server-side ones by path; a second run keeps what exists; a bad model
 * file or a service error is one line naming the field; no key is refused before any request.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { startTestApp, type TestApp } from '../helpers/app';

let app: TestApp;
let dir: string;

/** `npm run cli -- <args>` (its script: node --import tsx src/cli/index.ts), as a separate process. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 240_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

function matrix(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed));
}

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-models-'));
  // Local files (uploaded) beside the model file; one layer's files inside the service's data root (by path).
  await writeFile(path.join(dir, 'l1.npy'), writeNpy(matrix(60, 8, 1), [60, 8]));
  await writeFile(
    path.join(dir, 'ids.npy'),
    writeNpy(
      Int32Array.from({ length: 60 }, (_, i) => 10 + i),
      [60],
    ),
  );
  await writeFile(path.join(dir, 'l2.npy'), writeNpy(matrix(60, 5, 2), [60, 5]));
  await writeFile(path.join(app.dataDir, 'l3.npy'), writeNpy(matrix(60, 3, 3), [60, 3]));
  await writeFile(path.join(app.dataDir, 'ids.json'), JSON.stringify(Array.from({ length: 60 }, (_, i) => 10 + i)));
  const model = {
    name: 'cli-net',
    description: 'registered by the CLI test',
    layers: [
      { name: 'block1', activations: 'l1.npy', stimulusIds: 'ids.npy', preprocessing: { clamp: 'relu' } },
      { name: 'block2', activations: 'l2.npy', stimulusIds: 'ids.npy' },
      { name: 'block3', activations: { path: 'l3.npy' }, stimulusIds: { path: 'ids.json' } },
    ],
  };
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(model));
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('npm run cli -- keys create / models register', () => {
  it('creates a key, registers the model and its layers with progress, and keeps them on a second run', async () => {
    const keys = await cli(['keys', 'create', 'cli-test', '--quiet'], { DATABASE_URL: app.db.url });
    expect(keys.code, keys.stderr).toBe(0);
    const key = keys.stdout.trim();
    expect(key).toMatch(/^ak_[\w-]{43}$/);

    const env = { ALIGN_URL: app.url, ALIGN_API_KEY: key };
    const first = await cli(['models', 'register', path.join(dir, 'model.json')], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/model cli-net registered/);
    expect(first.stdout).toMatch(/layer block1: registered \(.+, 60 stimuli x 8 units\)/);
    expect(first.stdout).toMatch(/layer block3: registered \(.+, 60 stimuli x 3 units\)/);
    expect(first.stderr).toMatch(/100% \| [\d.]+ MiB \/ [\d.]+ MiB/);

    const models = (await (await app.request('/v1/models')).json()).items;
    const model = await (await app.request(`/v1/models/${models[0].id}`)).json();
    expect(model.description).toBe('registered by the CLI test');
    expect(model.layers.map((l: { name: string; width: number }) => [l.name, l.width])).toEqual([
      ['block1', 8],
      ['block2', 5],
      ['block3', 3],
    ]);
    const block1 = await (await app.request(`/v1/layers/${model.layers[0].id}`)).json();
    expect(block1.preprocessing).toEqual({ clamp: 'relu' });
    expect(block1.activations.path).toMatch(/^sha256:/); // uploaded into the artefact store

    const again = await cli(['models', 'register', path.join(dir, 'model.json')], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/model cli-net exists/);
    expect(again.stdout.match(/already registered, kept/g)).toHaveLength(3);
  }, 480_000); // three CLI processes; each compiles the CLI with tsx (tens of seconds on a loaded machine)

  it('names the field of a bad model file or a refused layer, and needs a key', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'x', layers: [{ name: 'a', activations: 'l1.npy' }] }));
    const key = 'test-admin-key-0123456789abcdef';
    const r1 = await cli(['models', 'register', bad], { ALIGN_URL: app.url, ALIGN_API_KEY: key });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/layers\.0\.stimulusIds/);

    const refused = path.join(dir, 'refused.json');
    await writeFile(path.join(dir, 'short.json'), JSON.stringify([1, 2, 3]));
    await writeFile(
      refused,
      JSON.stringify({ name: 'y', layers: [{ name: 'a', activations: 'l1.npy', stimulusIds: 'short.json' }] }),
    );
    const r2 = await cli(['models', 'register', refused], { ALIGN_URL: app.url, ALIGN_API_KEY: key });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/error: 400 .*stimulusIds/);

    const r3 = await cli(['models', 'register', refused], {
      ALIGN_URL: app.url,
      ALIGN_API_KEY: '',
      ALIGN_ADMIN_KEY: '',
    });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/keys create/);
  }, 360_000);
});
