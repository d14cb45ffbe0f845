/**
 * `npm run cli -- models register <model.json>`: register a model with a running service (ALIGN_URL,
 * ALIGN_API_KEY): its layer files, or its ONNX network and the extractions that make its layers. Local files
 * are uploaded (multipart, streamed) with one progress bar; extractions are followed to their end. The file:
 *
 *   {"name": "my-net", "description": "...",
 *    "layers": [{"name": "layer1", "activations": "acts/layer1.npy", "stimulusIds": "acts/ids.npy",
 *                "preprocessing": {"clamp": "relu"}, "position": 0}, ...],
 *    "network": "resnet18.onnx",
 *    "extractions": [{"dataset": "nsd", "subjects": ["subj01"],
 *                     "layers": [{"tensor": "/layer4/layer4.1/relu_1/Relu_output_0", "name": "layer4", "pooling": "centre"}]}]}
 *
 * A string is a file on this machine (relative to the JSON file), uploaded; an object `{path, dataset?}` is a
 * file the service reads itself (inside its data roots). An extraction is a POST /v1/models/{id}/extractions
 * body whose dataset may be named ("dataset") instead of given by id ("datasetId"). A model or layer that
 * already exists under that name is kept, and an identical extraction is the earlier one (run it again after a
 * failure: only what is missing is done). A network is uploaded only when the model has none.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { loadCliConfig } from '../config';
import { ApiClient, ApiError, postMultipart } from './api-client';

const ServerFile = z.object({ path: z.string().min(1), dataset: z.string().min(1).optional() }).strict();
const FileSpec = z.union([z.string().min(1), ServerFile]);

const LayerSpec = z
  .object({
    name: z.string().min(1),
    activations: FileSpec,
    stimulusIds: FileSpec,
    preprocessing: z
      .object({ clamp: z.literal('relu').optional() })
      .strict()
      .optional(),
    position: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((l) => typeof l.activations === typeof l.stimulusIds, {
    message: 'activations and stimulusIds must both be local files (strings) or both server paths ({path})',
  });

const ExtractionSpec = z
  .object({ dataset: z.string().min(1).optional(), datasetId: z.string().min(1).optional() })
  .passthrough()
  .refine((e) => (e.dataset === undefined) !== (e.datasetId === undefined), {
    message: 'name the dataset ("dataset") or give its id ("datasetId")',
  });

export const ModelFileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    layers: z.array(LayerSpec).default([]),
    network: FileSpec.optional(),
    extractions: z.array(ExtractionSpec).default([]),
  })
  .strict()
  .refine((m) => m.layers.length > 0 || m.network !== undefined, {
    message: 'give layers (activation files) or a network',
  })
  .refine((m) => m.extractions.length === 0 || m.network !== undefined, {
    message: 'extractions need a network',
    path: ['extractions'],
  });

export type ModelFile = z.infer<typeof ModelFileSchema>;
type LayerEntry = ModelFile['layers'][number];

/** The model file, checked; local paths resolved against its folder. Throws an Error naming the field. */
export async function readModelFile(file: string): Promise<ModelFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
  }
  const parsed = ModelFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${file}: ${issues.join('; ')}`);
  }
  const dir = path.dirname(path.resolve(file));
  const local = (f: string | z.infer<typeof ServerFile>) => (typeof f === 'string' ? path.resolve(dir, f) : f);
  for (const l of parsed.data.layers) {
    l.activations = local(l.activations);
    l.stimulusIds = local(l.stimulusIds);
  }
  if (parsed.data.network !== undefined) parsed.data.network = local(parsed.data.network);
  return parsed.data;
}

async function ensureModel(api: ApiClient, m: ModelFile): Promise<{ id: string; created: boolean }> {
  try {
    const model = await api.post('/v1/models', { name: m.name, description: m.description });
    return { id: model.id, created: true };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    const found = (await api.get('/v1/models?limit=1000')).items.find((x: { name: string }) => x.name === m.name);
    if (!found) throw err;
    return { id: found.id, created: false };
  }
}

/** Bytes of the local files still to upload (for the progress bar's total). */
async function uploadBytes(layers: LayerEntry[]): Promise<number> {
  let total = 0;
  for (const l of layers)
    for (const f of [l.activations, l.stimulusIds]) if (typeof f === 'string') total += (await stat(f)).size;
  return total;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Register one layer: JSON by server path, or a streamed upload whose bytes advance the bar. */
async function registerLayer(
  api: ApiClient,
  modelId: string,
  l: LayerEntry,
  onBytes: (sent: number) => void,
): Promise<{ id: string; width: number; count: number }> {
  const { activations, stimulusIds, preprocessing, position, name } = l;
  if (typeof activations !== 'string' || typeof stimulusIds !== 'string')
    return api.post(`/v1/models/${modelId}/layers`, { name, activations, stimulusIds, preprocessing, position });
  const fields: Record<string, string> = { name };
  if (position !== undefined) fields.position = String(position);
  if (preprocessing) fields.preprocessing = JSON.stringify(preprocessing);
  const files = [
    { field: 'activations', file: activations, filename: path.basename(activations) },
    { field: 'stimulusIds', file: stimulusIds, filename: path.basename(stimulusIds) },
  ];
  const fileBytes = (await stat(activations)).size + (await stat(stimulusIds)).size;
  const answer = await postMultipart(api, `/v1/models/${modelId}/layers`, fields, files, (sent, total) =>
    // The form's boundaries and fields are not on the bar: count the files' share of what went out.
    onBytes(Math.round((sent / total) * fileBytes)),
  );
  return answer.body as { id: string; width: number; count: number };
}

function progressBar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format,
      hideCursor: true,
      stream: process.stderr,
      // Off a terminal (logs, CI): a line every 5 s and the final state.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** Register the layers the model lacks, uploading local files under one bar. */
async function registerLayers(api: ApiClient, modelId: string, layers: LayerEntry[], log: (l: string) => void) {
  const existing = new Set(((await api.get(`/v1/models/${modelId}`)).layers as { name: string }[]).map((l) => l.name));
  const todo = layers.filter((l) => !existing.has(l.name));
  for (const l of layers) if (existing.has(l.name)) log(`layer ${l.name}: already registered, kept`);
  if (todo.length === 0) return;
  const total = await uploadBytes(todo);
  const bar = progressBar(' {bar} {percentage}% | {sent} / {size} | {stage}');
  bar.start(Math.max(1, total), 0, { sent: mib(0), size: mib(total), stage: 'uploading' });
  let done = 0;
  try {
    for (const l of todo) {
      bar.update(done, { stage: l.name });
      const layer = await registerLayer(api, modelId, l, (sent) => bar.update(done + sent, { sent: mib(done + sent) }));
      done += await uploadBytes([l]);
      bar.update(done, { sent: mib(done) });
      log(`layer ${l.name}: registered (${layer.id}, ${layer.count} stimuli x ${layer.width} units)`);
    }
  } finally {
    bar.stop();
  }
}

/** Give the model its network unless it has one: a local file uploaded (PUT, streamed, with a bar), or a path. */
async function attachNetwork(api: ApiClient, modelId: string, network: NonNullable<ModelFile['network']>) {
  try {
    const current = await api.get(`/v1/models/${modelId}/network`);
    return { network: current, attached: false };
  } catch (err) {
    if (!(err instanceof ApiError && (err.status === 404 || err.status === 409))) throw err;
  }
  if (typeof network !== 'string')
    return { network: (await api.request('PUT', `/v1/models/${modelId}/network`, network)).body, attached: true };
  const size = (await stat(network)).size;
  const bar = progressBar(' {bar} {percentage}% | {sent} / {size} | network');
  bar.start(Math.max(1, size), 0, { sent: mib(0), size: mib(size) });
  try {
    const files = [{ field: 'network', file: network, filename: path.basename(network) }];
    const answer = await postMultipart(
      api,
      `/v1/models/${modelId}/network`,
      {},
      files,
      (sent, total) => bar.update(Math.round((sent / total) * size), { sent: mib((sent / total) * size) }),
      'PUT',
    );
    return { network: answer.body, attached: true };
  } finally {
    bar.stop();
  }
}

/** Queue one extraction (dataset by name or id) and follow its job with a bar; returns the finished extraction. */
async function runExtraction(api: ApiClient, modelId: string, spec: Record<string, unknown>) {
  const { dataset, ...body } = spec;
  if (dataset !== undefined) {
    const d = (await api.get('/v1/datasets?limit=1000')).items.find((x: { name: string }) => x.name === dataset);
    if (!d) throw new Error(`extractions: no dataset named "${dataset}"`);
    body.datasetId = d.id;
  }
  const queued = await api.post(`/v1/models/${modelId}/extractions`, body);
  if (!queued.jobId || ['completed', 'failed', 'cancelled'].includes(queued.status)) return queued;
  const bar = progressBar(' {bar} {percentage}% | extraction | {stage}');
  bar.start(1, 0, { stage: 'queued' });
  try {
    for (;;) {
      const job = await api.get(`/v1/jobs/${queued.jobId}`);
      bar.update(job.state === 'completed' ? 1 : (job.progress?.fraction ?? 0), {
        stage: job.progress?.stage ?? job.state,
      });
      if (['completed', 'failed', 'cancelled'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    bar.stop();
  }
  return api.get(`/v1/extractions/${queued.id}`);
}

/** Register the model file's model, network, layers and extractions; prints one line per step. Returns the model id. */
export async function registerModel(
  api: ApiClient,
  m: ModelFile,
  log: (line: string) => void = console.log,
): Promise<string> {
  const model = await ensureModel(api, m);
  log(`model ${m.name} ${model.created ? 'registered' : 'exists'} (${model.id})`);
  if (m.network !== undefined) {
    const { network, attached } = await attachNetwork(api, model.id, m.network);
    log(
      `network ${network.name ?? ''} ${attached ? 'attached' : 'kept (the model has one)'}: ${network.tensors?.length ?? 0} tensors`,
    );
  }
  await registerLayers(api, model.id, m.layers, log);
  for (const spec of m.extractions) {
    const ex = await runExtraction(api, model.id, spec as Record<string, unknown>);
    if (ex.status !== 'completed') throw new Error(`extraction ${ex.id} ${ex.status}: ${ex.error ?? ''}`);
    log(`extraction ${ex.id}: ${ex.stimulusCount} stimuli, layers ${(ex.layerIds as string[]).join(', ')}`);
  }
  return model.id;
}

export async function runModelsCli(args: string[]): Promise<number> {
  const [sub, file] = args;
  if (sub !== 'register' || !file) {
    console.error('usage: npm run cli -- models register <model.json>');
    return 2;
  }
  const config = loadCliConfig();
  if (!config.apiKey) {
    console.error('models register needs a write key: ALIGN_API_KEY=$(npm run -s cli -- keys create <name> --quiet)');
    return 2;
  }
  try {
    await registerModel(new ApiClient(config.url, config.apiKey), await readModelFile(file));
    return 0;
  } catch (err) {
    console.error(err instanceof ApiError ? problemText(err) : `error: ${(err as Error).message}`);
    return 1;
  }
}

/** A problem+json answer as one readable line (title, detail, field reasons). */
export function problemText(err: ApiError): string {
  const b = (err.body ?? {}) as { title?: string; detail?: string; errors?: { field: string; reason: string }[] };
  const fields = (b.errors ?? []).map((e) => `${e.field}: ${e.reason}`).join('; ');
  return `error: ${err.status} ${b.title ?? ''}${b.detail ? `: ${b.detail}` : ''}${fields ? ` [${fields}]` : ''}`;
}
