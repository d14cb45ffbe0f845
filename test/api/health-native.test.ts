/**
 * Issue 10 item 19: when the native OpenBLAS path is off, /v1/health says so plainly with the expected
 * slowdown and what to do. The addon is forced off with ALIGN_NATIVE=0, set before the service's modules
 * load (this file has its own module graph; the variable is restored afterwards).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestApp } from '../helpers/app';

let app: TestApp;

beforeAll(async () => {
  vi.stubEnv('ALIGN_NATIVE', '0');
  const { startTestApp } = await import('../helpers/app');
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
  vi.unstubAllEnvs();
});

describe('health and the native path', () => {
  it('reports the native addon off, the slowdown and the remedy', async () => {
    const health = await (await app.request('/v1/health')).json();
    expect(health.compute.native).toMatchObject({ native: false, cause: 'env' });
    expect(health.compute.native.notice).toMatch(
      /^native OpenBLAS addon disabled by ALIGN_NATIVE=0: ridge fits run about \d+(\.\d+)?-\d+(\.\d+)?x slower; unset ALIGN_NATIVE/,
    );
  });

  it('words each cause with its remedy', async () => {
    const { nativeNotice } = await import('../../src/compute/linalg/native');
    expect(nativeNotice({ native: true })).toBeNull();
    expect(nativeNotice({ native: false, cause: 'not-built' })).toMatch(
      /^native OpenBLAS addon not built: ridge fits run about .*x slower; install libopenblas-dev liblapacke-dev .*rerun npm ci$/,
    );
    expect(nativeNotice({ native: false, cause: 'load-failed' })).toMatch(
      /failed to load: .*slower; reinstall libopenblas-dev liblapacke-dev/,
    );
  });
});
