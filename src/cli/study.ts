/**
 * `npm run cli -- study <study.json>`: submit a study to a running service, follow it with one progress
 * bar, and print per subject the layer x ROI tables of neurons, SAE latents and SAE - neurons.
 * The file is a POST /v1/studies body; instead of ids it may name things: "dataset": "<name>" and
 * "layers": ["<model>/<layer>", ...]. The service is ALIGN_URL (default http://127.0.0.1:8080) with the
 * key ALIGN_API_KEY (or ALIGN_ADMIN_KEY).
 */
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { ApiClient } from './api-client';

interface ResultRow {
  subject: string;
  model: string;
  layer: string;
  layerId: string;
  representation: string;
  roi: string;
  value: number;
}

interface StudyJson {
  id: string;
  state: string;
  inputs: { rois: { name: string }[]; subjects: string[]; layerIds: string[]; preset: string; folds: { k?: number; assignment?: Record<string, number> } };
  progress: { done: number; total: number; failed: number; running: { fraction: number; stage: string | null }[] };
  cells: { status: string; error: string | null; subject: string; layerId: string; representation: string }[];
  results: ResultRow[];
}

/** A study file's names (dataset, "model/layer") replaced by ids through the API. */
export async function resolveStudyFile(api: ApiClient, file: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { dataset, layers, ...body } = file as { dataset?: string; layers?: string[] } & Record<string, unknown>;
  if (dataset !== undefined) {
    const d = (await api.get('/v1/datasets?limit=1000')).items.find((x: { name: string }) => x.name === dataset);
    if (!d) throw new Error(`no dataset named "${dataset}"`);
    body.datasetId = d.id;
  }
  if (layers !== undefined) {
    const models = (await api.get('/v1/models?limit=1000')).items as { id: string; name: string }[];
    const ids: string[] = [];
    for (const ref of layers) {
      const slash = ref.lastIndexOf('/');
      const model = models.find((m) => m.name === ref.slice(0, slash));
      if (!model) throw new Error(`no model named "${ref.slice(0, slash)}" (layer reference "${ref}")`);
      const layer = (await api.get(`/v1/models/${model.id}`)).layers.find((l: { name: string }) => l.name === ref.slice(slash + 1));
      if (!layer) throw new Error(`model "${model.name}" has no layer "${ref.slice(slash + 1)}"`);
      ids.push(layer.id);
    }
    body.layerIds = ids;
  }
  return body;
}

/** Follow a study to its end with one progress bar over all its jobs; returns the final study. */
export async function followStudy(api: ApiClient, id: string, bar: cliProgress.SingleBar): Promise<StudyJson> {
  for (;;) {
    const s = (await api.get(`/v1/studies/${id}`)) as StudyJson;
    const running = s.progress.running;
    const stage = running.length ? `${running.length} running: ${running[0].stage ?? ''}` : s.state;
    bar.setTotal(Math.max(1, s.progress.total));
    bar.update(s.progress.done + running.reduce((t, r) => t + r.fraction, 0), { stage: `${s.progress.done}/${s.progress.total} jobs, ${stage}` });
    if (!s.cells.some((c) => c.status === 'queued' || c.status === 'running')) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function table(title: string, layers: string[], rois: string[], value: (layer: string, roi: string) => number | null): string {
  const w = Math.max(8, ...rois.map((r) => r.length + 1));
  const lw = Math.max(10, ...layers.map((l) => l.length + 1));
  const head = 'layer'.padEnd(lw) + rois.map((r) => r.padStart(w)).join('');
  const rows = layers.map((l) => l.padEnd(lw) + rois.map((r) => value(l, r)).map((v) => (v === null ? '-' : v.toFixed(4)).padStart(w)).join(''));
  return [title, head, ...rows].join('\n');
}

/** Per subject: the layer x ROI tables of neurons, SAE latents and SAE - neurons (layers in request order). */
export function formatStudyTables(s: StudyJson): string {
  const rois = s.inputs.rois.map((r) => r.name);
  const names = new Map(s.results.map((r) => [r.layerId, r.layer]));
  const layers = s.inputs.layerIds.map((id) => names.get(id) ?? id);
  const out: string[] = [];
  for (const subject of s.inputs.subjects) {
    const get = (rep: string) => (layer: string, roi: string) => s.results.find((r) => r.subject === subject && r.layer === layer && r.representation === rep && r.roi === roi)?.value ?? null;
    const diff = (layer: string, roi: string) => {
      const a = get('sae')(layer, roi);
      const b = get('neurons')(layer, roi);
      return a === null || b === null ? null : a - b;
    };
    const folds = s.inputs.folds.k ? `${s.inputs.folds.k}-fold CV` : 'explicit folds';
    out.push(`${subject}: ridge (${s.inputs.preset} preset, ${folds}), layer x ROI`);
    out.push(table('neurons', layers, rois, get('neurons')), table('SAE latents', layers, rois, get('sae')), table('SAE - neurons', layers, rois, diff));
  }
  return out.join('\n\n');
}

export async function runStudyCli(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) {
    console.error('usage: npm run cli -- study <study.json>');
    return 2;
  }
  const api = new ApiClient(process.env.ALIGN_URL ?? 'http://127.0.0.1:8080', process.env.ALIGN_API_KEY ?? process.env.ALIGN_ADMIN_KEY);
  const body = await resolveStudyFile(api, JSON.parse(await readFile(file, 'utf8')));
  const created = await api.post('/v1/studies', body);
  console.log(`study ${created.id} (${created.progress.total} jobs): ${api.baseUrl}/v1/studies/${created.id}`);
  const bar = new cliProgress.SingleBar({ format: ' {bar} {percentage}% | {stage}', hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(Math.max(1, created.progress.total), 0, { stage: 'queued' });
  const s = await followStudy(api, created.id, bar);
  bar.stop();
  console.log('\n' + formatStudyTables(s));
  for (const c of s.cells.filter((x) => x.status === 'failed')) console.error(`failed: ${c.subject} ${c.layerId} ${c.representation}: ${c.error}`);
  console.log(`\nstudy ${s.state}; the table as CSV: curl -H 'Accept: text/csv' ${api.baseUrl}/v1/studies/${s.id}`);
  return s.state === 'succeeded' ? 0 : 1;
}
