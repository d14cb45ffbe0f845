/**
 * Issue 22 item 5: large uploads at ordinary speeds. A request's time limit grows with the body received
 * (ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS plus one second per ALIGN_UPLOAD_MIN_RATE_KBPS kilobytes), so a 2 GiB layer
 * sent at 20 MB/s over loopback (about 110 s) is registered although it takes ten times the base limit, while an
 * upload slower than the minimum rate gets a 408 problem+json naming the settings. Real service, real
 * PostgreSQL, real HTTP; the client streams a generated .npy and never holds it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app';
import { throttledLayerUpload } from '../helpers/throttled-upload';

let app: TestApp;
let modelId: string;

// A base limit of 10 s, and 5 MB/s after it: a 2 GiB body may take 10 s + 429 s.
const BASE_SECONDS = 10;
const MIN_RATE_KBPS = 5000;

beforeAll(async () => {
  app = await startTestApp({
    ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS: String(BASE_SECONDS),
    ALIGN_UPLOAD_MIN_RATE_KBPS: String(MIN_RATE_KBPS),
  });
  const m = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'wide-net' } });
  modelId = (await m.json()).id;
});
afterAll(async () => {
  await app?.close();
});

function ids(rows: number): Uint8Array {
  return writeNpy(
    Int32Array.from({ length: rows }, (_, i) => i * 7),
    [rows],
  );
}

/** Peak resident memory of this process (the service runs in it) while `fn` runs, sampled every 250 ms. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 250);
  try {
    return { result: await fn(), peak };
  } finally {
    clearInterval(timer);
  }
}

describe('large uploads (issue 22 item 5)', () => {
  it('registers a 2 GiB layer sent at 20 MB/s, ten times longer than the base limit, in bounded memory', async () => {
    // 8,192 stimuli x 65,535 units float32: 2,147,450,880 bytes of data, just under the 2 GiB file limit.
    const rows = 8192;
    const cols = 65_535;
    const before = process.memoryUsage.rss();
    const { result: up, peak } = await peakRss(() =>
      throttledLayerUpload({
        url: app.url,
        pathname: `/v1/models/${modelId}/layers`,
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        fields: { name: 'huge' },
        rows,
        cols,
        stimulusIds: ids(rows),
        bytesPerSecond: 20e6,
      }),
    );
    expect(up.status, up.body).toBe(201);
    expect(up.elapsedMs).toBeGreaterThan(BASE_SECONDS * 1000);
    const layer = JSON.parse(up.body);
    expect(layer).toMatchObject({ name: 'huge', count: rows, width: cols, checksum: up.activationsSha256 });
    expect(layer.activations.path).toBe(`sha256:${up.activationsSha256}.npy`);
    console.log(
      `large-upload: ${rows * cols * 4} bytes of activations in ${(up.elapsedMs / 1000).toFixed(1)} s, ` +
        `peak RSS +${((peak - before) / 1024 ** 2).toFixed(0)} MiB`,
    );
    // The body went to disk as it came: the process grew by far less than the 2 GiB it received.
    expect(peak - before).toBeLessThan(512 * 1024 ** 2);
  }, 600_000);

  it('answers an upload slower than the minimum rate with 408 naming the settings, and keeps nothing', async () => {
    // 100 MB declared, sent at 1 MB/s: behind 10 s + received / 5 MB/s after about 12.5 s.
    const up = await throttledLayerUpload({
      url: app.url,
      pathname: `/v1/models/${modelId}/layers`,
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      fields: { name: 'slow' },
      rows: 1000,
      cols: 25_000,
      stimulusIds: ids(1000),
      bytesPerSecond: 1e6,
    });
    expect(up.status, up.body).toBe(408);
    expect(up.sentBytes).toBeLessThan(100e6);
    const problem = JSON.parse(up.body);
    expect(problem.type).toBe('/problems/request-timeout');
    expect(problem.detail).toMatch(/ALIGN_UPLOAD_MIN_RATE_KBPS=5000 KB\/s/);
    expect(problem.detail).toMatch(/ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS=10 s/);
    const layers = await app.db.prisma.layer.count({ where: { modelId, name: 'slow' } });
    expect(layers).toBe(0);
    // The scratch folder of the cut upload is removed once the connection is gone.
    const scratch = path.join(app.service.context.config.storeDir, 'tmp');
    await expect.poll(async () => (await readdir(scratch).catch(() => [])).length, { timeout: 15_000 }).toBe(0);
  }, 120_000);
});
