/**
 * `npm run demo`: a small study on a synthetic NSD set, through the service's own API.
 * Starts the service (embedded PostgreSQL unless DATABASE_URL is set), writes the synthetic set (ground
 * truth known: sparse features in superposition drive the voxels and two models' layers), registers it
 * and both models' layers, trains an SAE per layer, then submits one study: two subjects x every layer x
 * {neurons, SAE} x ROIs of two atlases (one a union); prints per subject the layer x ROI tables with the
 * SAE-minus-neurons delta (read from /v1/studies/{id}), and keeps serving the same numbers until Ctrl-C
 * (or exits with --exit).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { defaultDataRoot, environmentWithDefaults, loadConfig } from '../config';
import { linalgInfo, nativeNotice } from '../compute/linalg/index';
import { writeSyntheticNsd } from '../nsd/synthetic';
import { startService } from '../server';
import { ApiClient, ApiError } from './api-client';
import { comparisonQ, followStudy, formatStudyTables } from './study';

const MODELS = [
  {
    name: 'demo-net-a',
    layers: [
      { name: 'a.block1', units: 24 },
      { name: 'a.block2', units: 32 },
      { name: 'a.block3', units: 16 },
    ],
  },
  {
    name: 'demo-net-b',
    layers: [
      { name: 'b.block1', units: 20 },
      { name: 'b.block2', units: 28 },
    ],
  },
];
const SUBJECTS = ['subj01', 'subj02'];
/** Two atlases, one ROI a union of two labels. */
const ROIS = [
  'prf-visualrois/V1v',
  'prf-visualrois/V2v',
  'prf-visualrois/V3v',
  'prf-visualrois/hV4',
  { name: 'V1', members: ['prf-visualrois/V1v', 'prf-visualrois/V1d'] },
  'nsdgeneral/nsdgeneral',
];
const SAE = { expansion: 4, k: 4, epochs: 60, lr: 0.004, batchSize: 64, seed: 0 };

async function ensure<T>(create: () => Promise<T>, find: () => Promise<T | undefined>): Promise<T> {
  const existing = await find();
  if (existing) return existing;
  try {
    return await create();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      const again = await find();
      if (again) return again;
    }
    throw err;
  }
}

type Service = Awaited<ReturnType<typeof startService>>;
type DemoLayer = { model: string; id: string; name: string };

export async function runDemo(args: string[]): Promise<number> {
  const exitWhenDone = args.includes('--exit');
  const started = Date.now();
  const oneOffKey = `demo-${randomBytes(16).toString('hex')}`;
  const env = environmentWithDefaults({
    // The demo talks to its own API, so it needs a write key: use the configured one or a one-off.
    ALIGN_ADMIN_KEY: oneOffKey,
    LOG_LEVEL: 'warn',
    ALIGN_WORKERS: '2', // two cores: two jobs at a time
  });
  const config = loadConfig(env);
  const service = await startService(config);
  const api = new ApiClient(service.url, config.adminKey);
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | {stage}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  try {
    console.log(
      `service at ${service.url} (docs: ${service.url}/docs); database: ${service.db.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}; compute: ${service.backend.name}`,
    );
    const notice = nativeNotice(linalgInfo());
    if (notice) console.log(`warning: ${notice}`);
    const { datasetId, layers } = await registerDemoData(api, path.join(defaultDataRoot(config.dataDir), 'demo'));
    bar.start(1, 0, { stage: 'training SAEs' });
    await followJobs(api, await trainDemoSaes(api, layers), bar, 'training SAEs');
    const studyId = await runDemoStudy(api, datasetId, layers, bar);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `\ndemo finished in ${seconds.toFixed(1)} s. The numbers above are served at ${service.url}/v1/studies/${studyId} (docs: ${service.url}/docs).`,
    );
    if (!exitWhenDone) await serveUntilStopped(service, studyId, config.adminKey === oneOffKey ? oneOffKey : undefined);
    await service.stop();
    return 0;
  } catch (err) {
    bar.stop();
    await service.stop();
    throw err;
  }
}

/** Write the synthetic set (deterministic and cheap, about a second) and register it, both models and their layers. */
async function registerDemoData(api: ApiClient, demoDir: string): Promise<{ datasetId: string; layers: DemoLayer[] }> {
  // A second demo rewrites the same files.
  const syn = await writeSyntheticNsd(path.join(demoDir, 'synthetic-nsd'), {
    subjects: SUBJECTS.length,
    layers: MODELS.flatMap((m) => m.layers),
    seed: 7,
    formats: ['hdf5', 'nifti'],
  });
  console.log(`synthetic NSD set at ${syn.root}`);

  const dataset = await ensure(
    () => api.post('/v1/datasets', { name: 'synthetic-nsd-demo', root: syn.root, manifestPath: syn.manifestPath }),
    async () =>
      (await api.get('/v1/datasets?limit=1000')).items.find((d: { name: string }) => d.name === 'synthetic-nsd-demo'),
  );
  const layers: DemoLayer[] = [];
  for (const m of MODELS) {
    const model = await ensure(
      () => api.post('/v1/models', { name: m.name, description: 'synthetic network (demo)' }),
      async () => (await api.get('/v1/models?limit=1000')).items.find((x: { name: string }) => x.name === m.name),
    );
    for (const l of m.layers) {
      const file = syn.layers.find((x) => x.name === l.name)!;
      const layer = await ensure(
        () =>
          api.post(`/v1/models/${model.id}/layers`, {
            name: l.name,
            activations: { path: file.activations },
            stimulusIds: { path: file.stimulusIds },
          }),
        async () => (await api.get(`/v1/models/${model.id}`)).layers.find((x: { name: string }) => x.name === l.name),
      );
      layers.push({ model: model.id, id: layer.id, name: l.name });
    }
  }
  return { datasetId: dataset.id, layers };
}

/** Start an SAE per layer (reusing a ready or running one trained with the same settings); returns the jobs to wait for. */
async function trainDemoSaes(api: ApiClient, layers: DemoLayer[]): Promise<string[]> {
  const jobs: string[] = [];
  for (const l of layers) {
    const saes = (await api.get(`/v1/layers/${l.id}/saes`)).items as {
      status: string;
      settings: Record<string, unknown>;
      jobId: string | null;
    }[];
    const same = saes.find(
      (s) => ['ready', 'pending', 'training'].includes(s.status) && JSON.stringify(s.settings) === JSON.stringify(SAE),
    );
    if (same?.status === 'ready') continue;
    const jobId = same ? same.jobId : (await api.post(`/v1/layers/${l.id}/saes`, SAE)).jobId;
    if (jobId) jobs.push(jobId);
  }
  return jobs;
}

/** Submit the study, follow it and print its tables; returns its id. */
async function runDemoStudy(
  api: ApiClient,
  datasetId: string,
  layers: DemoLayer[],
  bar: cliProgress.SingleBar,
): Promise<string> {
  const study = await api.post('/v1/studies', {
    name: 'demo',
    datasetId,
    subjects: SUBJECTS,
    layerIds: layers.map((l) => l.id),
    representations: ['neurons', 'sae'],
    rois: ROIS,
    preset: 'paper',
    folds: { k: 5, seed: 0 },
  });
  const done = await followStudy(api, study.id, bar);
  bar.stop();
  if (done.state !== 'succeeded')
    throw new Error(
      `study ${study.id} ${done.state}: ${done.cells
        .map((c) => c.error)
        .filter(Boolean)
        .join('; ')}`,
    );
  console.log(`\nstudy ${study.id}\n`);
  console.log(formatStudyTables(done, await comparisonQ(api, study.id)));
  return study.id;
}

/**
 * How to get a write key for this service: a lasting one from the CLI (it attaches to the demo's embedded
 * database), and the demo's own one-off admin key when the demo made it (a configured ALIGN_ADMIN_KEY is never
 * printed).
 */
function writeKeyHint(oneOffAdminKey: string | undefined): string {
  const lines = [
    'write key (for scripts, the Python client or the dashboard): in another terminal, from this folder,',
    '  npm run cli -- keys create my-script      (prints a key; ALIGN_API_KEY=<key> for the CLI and the Python client)',
  ];
  if (oneOffAdminKey) lines.push(`  or, while this demo runs, its one-off admin key: ${oneOffAdminKey}`);
  return lines.join('\n');
}

/** Keep serving the numbers (and the dashboard) until Ctrl-C; say how to get a write key meanwhile. */
async function serveUntilStopped(service: Service, studyId: string, oneOffKey: string | undefined): Promise<void> {
  console.log(`dashboard: ${service.url}/#/study/${studyId} (heatmaps, voxel maps on the brain, live jobs)`);
  console.log(writeKeyHint(oneOffKey));
  console.log('serving; press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Wait for jobs, showing their combined progress. */
async function followJobs(api: ApiClient, jobIds: string[], bar: cliProgress.SingleBar, stage: string): Promise<void> {
  bar.setTotal(Math.max(1, jobIds.length));
  bar.update(0, { stage });
  const pending = new Set(jobIds);
  while (pending.size) {
    let fraction = jobIds.length - pending.size;
    for (const id of [...pending]) {
      const job = await api.get(`/v1/jobs/${id}`);
      if (job.state === 'completed') pending.delete(id);
      else if (job.state === 'failed' || job.state === 'cancelled')
        throw new Error(`job ${id} (${job.kind}) ${job.state}: ${job.error ?? ''}`);
      else fraction += job.progress?.fraction ?? 0;
    }
    bar.update(Math.min(jobIds.length, pending.size ? fraction : jobIds.length), {
      stage: `${stage} (${jobIds.length - pending.size}/${jobIds.length} jobs)`,
    });
    if (pending.size) await new Promise((r) => setTimeout(r, 300));
  }
}
