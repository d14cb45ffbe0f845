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
import { loadCliConfig } from '../config';

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
  inputs: {
    rois: { name: string }[];
    subjects: string[];
    layerIds: string[];
    preset: string;
    folds: { k?: number; assignment?: Record<string, number> };
  };
  progress: {
    done: number;
    total: number;
    failed: number;
    jobs?: { done: number; total: number };
    running: { fraction: number; stage: string | null }[];
  };
  cells: { status: string; error: string | null; subject: string; layerId: string; representation: string }[];
  results: ResultRow[];
}

/** A study file's names (dataset, "model/layer") replaced by ids through the API. */
export async function resolveStudyFile(
  api: ApiClient,
  file: Record<string, unknown>,
): Promise<Record<string, unknown>> {
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
      const layer = (await api.get(`/v1/models/${model.id}`)).layers.find(
        (l: { name: string }) => l.name === ref.slice(slash + 1),
      );
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
    bar.update(s.progress.done + running.reduce((t, r) => t + r.fraction, 0), {
      stage: `${s.progress.done}/${s.progress.total} cells, ${stage}`,
    });
    if (!s.cells.some((c) => c.status === 'queued' || c.status === 'running')) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** q below which an SAE - neurons cell is marked '*'. */
export const Q_MARK = 0.05;

function table(
  title: string,
  layers: string[],
  rois: string[],
  value: (layer: string, roi: string) => number | null,
  marked?: (layer: string, roi: string) => boolean,
): string {
  const w = Math.max(8, ...rois.map((r) => r.length + 1)) + (marked ? 1 : 0);
  const lw = Math.max(10, ...layers.map((l) => l.length + 1));
  const head = 'layer'.padEnd(lw) + rois.map((r) => (marked ? `${r} ` : r).padStart(w)).join('');
  const cell = (l: string, r: string) => {
    const v = value(l, r);
    const text = v === null ? '-' : v.toFixed(4);
    return (marked ? text + (marked(l, r) ? '*' : ' ') : text).padStart(w);
  };
  const rows = layers.map((l) => l.padEnd(lw) + rois.map((r) => cell(l, r)).join(''));
  return [title, head, ...rows].join('\n');
}

/** One SAE - neurons cell of GET /v1/studies/{id}/comparisons: what the tables print. */
export interface CellStat {
  difference: number;
  /** The headline: corrected resampled t interval, p and q. */
  ci: { lower: number | null; upper: number | null };
  q: number | null;
  p: number | null;
  pMethod: string;
  nFolds: number;
  repeats: number;
  /** Conditional on the fitted models (not the headline): the stimulus bootstrap interval and sign-flip p. */
  conditionalBootstrapCi: { lower: number; upper: number; nResamples: number } | null;
  conditionalPermutationP: number | null;
}

/** The cells of GET /v1/studies/{id}/comparisons (SAE - neurons, BH q), keyed subject|layer name|ROI. */
export async function comparisonQ(api: ApiClient, id: string): Promise<Map<string, CellStat>> {
  const c = await api.get(`/v1/studies/${id}/comparisons?a=neurons&b=sae`);
  return new Map(
    (c.cells as (CellStat & { subject: string; layerName: string; roi: string })[]).map((x) => [
      `${x.subject}|${x.layerName}|${x.roi}`,
      x,
    ]),
  );
}

const signed = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(4);
const pText = (v: number | null) => (v === null ? '-' : v < 1e-4 ? v.toExponential(1) : v.toFixed(4));
const interval = (lower: number | null, upper: number | null) =>
  lower === null || upper === null ? '-' : `[${signed(lower)}, ${signed(upper)}]`;

/**
 * SAE - neurons per cell of one subject: difference, the corrected resampled t interval, p and q (marked when
 * q < Q_MARK), then the conditional stimulus bootstrap interval and sign-flip p where the study job stored them.
 */
function cellList(subject: string, layers: string[], rois: string[], stats: Map<string, CellStat>): string {
  const lw = Math.max(10, ...layers.map((l) => l.length + 1));
  const rw = Math.max(8, ...rois.map((r) => r.length + 1));
  const head =
    'layer'.padEnd(lw) +
    'roi'.padEnd(rw) +
    'difference'.padStart(11) +
    '  ' +
    '95% interval'.padEnd(22) +
    'p'.padStart(9) +
    'q'.padStart(9) +
    '   ' +
    'conditional: bootstrap'.padEnd(22) +
    'sign-flip p'.padStart(12);
  const rows: string[] = [];
  for (const l of layers) {
    for (const r of rois) {
      const c = stats.get(`${subject}|${l}|${r}`);
      if (!c) continue;
      const boot = c.conditionalBootstrapCi;
      rows.push(
        l.padEnd(lw) +
          r.padEnd(rw) +
          signed(c.difference).padStart(11) +
          '  ' +
          interval(c.ci.lower, c.ci.upper).padEnd(22) +
          pText(c.p).padStart(9) +
          pText(c.q).padStart(9) +
          ((c.q ?? 1) < Q_MARK ? ' *' : '  ') +
          ' ' +
          (boot ? interval(boot.lower, boot.upper) : '(no predictions)').padEnd(22) +
          pText(c.conditionalPermutationP).padStart(12),
      );
    }
  }
  return ['SAE - neurons per cell', head, ...rows].join('\n');
}

/**
 * Per subject: the layer x ROI tables of neurons, SAE latents and SAE - neurons (layers in request order); with
 * the comparisons' cells, the SAE - neurons cells with q < 0.05 carry a '*' (q of the corrected resampled t p),
 * their q-values follow as a table, and each cell's interval, p and q (and the conditional statistics) as a list.
 */
export function formatStudyTables(s: StudyJson, stats?: Map<string, CellStat>): string {
  const rois = s.inputs.rois.map((r) => r.name);
  const names = new Map(s.results.map((r) => [r.layerId, r.layer]));
  const layers = s.inputs.layerIds.map((id) => names.get(id) ?? id);
  const out: string[] = [];
  for (const subject of s.inputs.subjects) {
    const get = (rep: string) => (layer: string, roi: string) =>
      s.results.find((r) => r.subject === subject && r.layer === layer && r.representation === rep && r.roi === roi)
        ?.value ?? null;
    const diff = (layer: string, roi: string) => {
      const a = get('sae')(layer, roi);
      const b = get('neurons')(layer, roi);
      return a === null || b === null ? null : a - b;
    };
    const folds = s.inputs.folds.k ? `${s.inputs.folds.k}-fold CV` : 'explicit folds';
    out.push(`${subject}: ridge (${s.inputs.preset} preset, ${folds}), layer x ROI`);
    const q = (layer: string, roi: string) => stats?.get(`${subject}|${layer}|${roi}`)?.q ?? null;
    const mark = stats ? (layer: string, roi: string) => (q(layer, roi) ?? 1) < Q_MARK : undefined;
    out.push(
      table('neurons', layers, rois, get('neurons')),
      table('SAE latents', layers, rois, get('sae')),
      table('SAE - neurons', layers, rois, diff, mark),
    );
    if (stats) out.push(table('q (SAE - neurons)', layers, rois, q), cellList(subject, layers, rois, stats));
  }
  if (stats) {
    const first = [...stats.values()][0];
    const folds = first
      ? `${first.nFolds} fold differences (${first.repeats} repeat${first.repeats > 1 ? 's' : ''})`
      : 'the fold differences';
    out.push(
      `* q < ${Q_MARK}: Benjamini-Hochberg q across the study's cells of p; p and 95% interval: ${first?.pMethod ?? 'corrected-resampled-t'} ` +
        `(Nadeau-Bengio corrected resampled t over ${folds}). Conditional columns: percentile bootstrap over the held-out ` +
        `stimuli and sign-flip p, both conditional on the fitted models (not the headline; GET /v1/studies/{id}/comparisons)`,
    );
  }
  return out.join('\n\n');
}

export async function runStudyCli(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) {
    console.error('usage: npm run cli -- study <study.json>');
    return 2;
  }
  const cli = loadCliConfig();
  const api = new ApiClient(cli.url, cli.apiKey);
  const body = await resolveStudyFile(api, JSON.parse(await readFile(file, 'utf8')));
  const created = await api.post('/v1/studies', body);
  console.log(
    `study ${created.id} (${created.progress.total} cells in ${created.progress.jobs?.total ?? created.progress.total} jobs): ${api.baseUrl}/v1/studies/${created.id}`,
  );
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | {stage}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, created.progress.total), 0, { stage: 'queued' });
  const s = await followStudy(api, created.id, bar);
  bar.stop();
  const cells =
    s.results.some((r) => r.representation === 'sae') && s.results.some((r) => r.representation === 'neurons')
      ? await comparisonQ(api, s.id)
      : undefined;
  console.log(`\n${formatStudyTables(s, cells)}`);
  for (const c of s.cells.filter((x) => x.status === 'failed'))
    console.error(`failed: ${c.subject} ${c.layerId} ${c.representation}: ${c.error}`);
  console.log(`\nstudy ${s.state}; the table as CSV: curl -H 'Accept: text/csv' ${api.baseUrl}/v1/studies/${s.id}`);
  return s.state === 'succeeded' ? 0 : 1;
}
