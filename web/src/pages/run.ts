/**
 * A run: its inputs, per-ROI scores and, for alignment runs, the per-voxel scores on the subject's
 * volume in NiiVue with ROI outlines. `?minus=<runId>` shows this run minus that one (SAE - neurons).
 */
import { Niivue, SLICE_TYPE } from '@niivue/niivue';
import { encodeNifti1 } from '../../../src/io/nifti-encode';
import { get, getBytes, type Run, type ScoreItem } from '../api';
import { roiQuantity, runSeconds, voxelQuantity } from '../quantity';
import type { VoxelResults } from '../api-types';
import { figure, heatCells, heatmapSpec } from '../charts';
import { fmt, h, select, table } from '../dom';
import { jobRow } from '../jobs';

export async function render(
  root: HTMLElement,
  params: URLSearchParams,
  id: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (!id) throw new Error('no run id');
  const run = await get<Run>(`/v1/runs/${id}`, signal);
  const minusId = params.get('minus');
  const minus = minusId ? await get<Run>(`/v1/runs/${minusId}`, signal) : null;
  const layer = run.layerId
    ? await get<{ name: string; modelId?: string }>(`/v1/layers/${run.layerId}`, signal).catch(() => null)
    : null;
  const repName = (r: Run) => (r.representation === 'sae' ? 'SAE latents' : r.representation);
  root.append(
    h(
      'h1',
      {},
      minus
        ? `${layer?.name ?? 'layer'}: ${repName(run)} - ${repName(minus)}`
        : `Run ${layer?.name ?? ''} · ${repName(run)}`,
    ),
    h(
      'dl',
      { class: 'facts' },
      ...[
        ['status', run.status],
        ['kind', run.kind],
        ['subject', run.subject],
        ['atlas', run.atlas],
        ['preset / metric', run.method],
        ['backend', run.backend],
        ['seconds', fmt(runSeconds(run.timings), 2)],
        ['stimuli', run.scores[0]?.nStimuli == null ? '-' : String(run.scores[0].nStimuli)],
        ['run id', run.id],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '-')]),
    ),
  );
  if (run.error) root.append(h('p', { class: 'error' }, run.error));
  if (run.jobId && ['queued', 'running'].includes(run.status)) {
    root.append(jobRow(run.jobId, 'this run', signal, () => window.dispatchEvent(new HashChangeEvent('hashchange'))));
  }

  // Per-ROI scores (both runs side by side for a pair).
  const rois = run.scores.map((s) => s.roi);
  if (rois.length) {
    const other = new Map(minus?.scores.map((s) => [s.roi, s]) ?? []);
    root.append(
      h('h2', {}, 'Scores per ROI'),
      table(
        minus
          ? ['ROI', repName(run), 'sem', repName(minus), 'sem', 'difference', 'voxels']
          : ['ROI', roiQuantity(run.method), 'sem', 'folds', 'voxels'],
        run.scores.map((s) =>
          minus
            ? [
                s.roi,
                fmt(s.value, 4),
                fmt(s.sem, 4),
                fmt(other.get(s.roi)?.value, 4),
                fmt(other.get(s.roi)?.sem, 4),
                fmt(other.has(s.roi) ? s.value - other.get(s.roi)!.value : null, 4),
                s.nVoxels ?? '-',
              ]
            : [s.roi, fmt(s.value, 4), fmt(s.sem, 4), s.foldValues.map((v) => fmt(v, 3)).join(' '), s.nVoxels ?? '-'],
        ),
        { class: 'scores' },
      ),
    );
    const folds = Math.max(...run.scores.map((s) => s.foldValues.length));
    if (folds > 1 && !minus) {
      const fold = Array.from({ length: folds }, (_, k) => `fold ${k + 1}`);
      const vals = run.scores.map((s) => fold.map((_, k) => s.foldValues[k] ?? null));
      const { cells, domain } = heatCells(
        rois,
        fold,
        vals,
        vals.map((r) => r.map(() => null)),
        false,
      );
      const fig = await figure(
        `run-${run.id}-folds`,
        `${roiQuantity(run.method)}, per ROI and fold`,
        heatmapSpec({
          rows: rois,
          cols: fold,
          rowTitle: 'ROI',
          colTitle: 'fold',
          cells,
          domain,
          diverging: false,
          legend: roiQuantity(run.method),
        }),
        { head: ['row', 'col', 'value'], rows: cells },
      );
      root.append(fig.el);
    }
  }
  if (run.kind !== 'alignment' || run.status !== 'succeeded') return;

  // The pair link: the same layer, subject, atlas and preset in the other representation.
  if (!minus && run.layerId) {
    const rep = run.representation === 'sae' ? 'neurons' : 'sae';
    const qs = new URLSearchParams({
      kind: 'alignment',
      layerId: run.layerId,
      subject: run.subject ?? '',
      atlas: run.atlas ?? '',
      preset: run.method,
      representation: rep,
      limit: '1',
    });
    const pair = (await get<{ items: ScoreItem[] }>(`/v1/scores?${qs}`, signal)).items[0];
    if (pair) {
      const [s, n] = rep === 'sae' ? [pair.runId, run.id] : [run.id, pair.runId];
      root.append(
        h(
          'p',
          {},
          h('a', { href: `#/run/${s}?minus=${n}`, id: 'pair-link' }, 'Show SAE latents - neurons on the brain'),
        ),
      );
    }
  }
  root.append(h('h2', {}, minus ? 'Voxel differences' : 'Voxel scores'));
  const viewer = h('section', { class: 'viewer' });
  root.append(viewer);
  const roi = params.get('roi') && rois.includes(params.get('roi')!) ? params.get('roi')! : rois[0];
  await drawBrain(viewer, run, minus, roi, signal);
}

/** One ROI's voxel scores as a NIfTI volume (NaN elsewhere), or this run's minus the other run's, with its range. */
function scoreVolume(
  vox: VoxelResults,
  other: VoxelResults | null,
  shape: number[],
): { scores: ArrayBuffer; range: [number, number] } {
  const n = shape[0] * shape[1] * shape[2];
  const vol = new Float32Array(n).fill(Number.NaN);
  const base = new Map<number, number | null>(other?.indices.map((idx, i) => [idx, other.values[i]]) ?? []);
  vox.indices.forEach((idx, i) => {
    const a = vox.values[i];
    if (a === null) return;
    if (!other) vol[idx] = a;
    else {
      const o = base.get(idx);
      if (o !== null && o !== undefined) vol[idx] = a - o;
    }
  });
  const finite = Array.from(vol).filter(Number.isFinite);
  const m = Math.max(1e-6, ...finite.map(Math.abs));
  const range: [number, number] = other ? [-m, m] : [Math.min(...finite, 0) - 1e-6, Math.max(...finite, 1e-6)];
  return { scores: encodeNifti1(vol, shape).slice().buffer, range };
}

/**
 * The voxel map of one ROI (the clicked cell's, or the run's first): that ROI's fit for each of its voxels, where
 * ROIs overlap (nsdgeneral holds V1v) never another ROI's; its outline on by default; a labelled colour bar.
 */
async function drawBrain(
  el: HTMLElement,
  run: Run,
  minus: Run | null,
  roi: string,
  signal: AbortSignal,
): Promise<void> {
  const q = `format=json&roi=${encodeURIComponent(roi)}`;
  const [vox, other, mask] = await Promise.all([
    get<VoxelResults>(`/v1/runs/${run.id}/voxels?${q}`, signal),
    minus ? get<VoxelResults>(`/v1/runs/${minus.id}/voxels?${q}`, signal) : null,
    // The subject's brain mask as the grey background (absent when the manifest declares none).
    run.datasetId && run.subject
      ? getBytes(`/v1/datasets/${run.datasetId}/subjects/${run.subject}/brainmask`).catch(() => null)
      : null,
  ]);
  const shape = vox.volumeShape;
  const inRoi = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (const idx of vox.indices) inRoi[idx] = 1;
  const labels = ringAround(inRoi, shape);
  const { scores, range } = scoreVolume(vox, other, shape);
  const quantity = minus ? `SAE - neurons difference of ${voxelQuantity(run.method)}` : voxelQuantity(run.method);

  const canvas = h('canvas', { id: 'brain', width: 900, height: 420 });
  const nv = new Niivue({
    backColor: [0.08, 0.08, 0.1, 1],
    show3Dcrosshair: false,
    crosshairColor: [1, 0, 0, 1],
    crosshairWidth: 0,
    isColorbar: true,
    dragAndDropEnabled: false,
  });
  const outlines = h('input', {
    type: 'checkbox',
    id: 'roi-outlines',
    checked: true,
    onchange: () => nv.setOpacity(2, outlines.checked ? 1 : 0),
  });
  const where = h('p', { class: 'muted', id: 'where' }, 'Click or drag on a slice to move; scroll to change slices.');
  el.append(
    h(
      'p',
      { class: 'muted', id: 'voxel-caption' },
      minus
        ? `Per voxel of ${roi}: the SAE-latent ${voxelQuantity(run.method)} minus the neurons' (orange: SAE higher; blue: neurons higher), on the brain mask; outlines: ROI ${roi}.`
        : `Per voxel of ${roi}: the ${voxelQuantity(run.method)} of ${roi}'s fit (mean over folds), on the brain mask; outlines: ROI ${roi}.`,
    ),
    viewTools(nv, outlines, run, roi, vox.rois),
    h('div', { class: 'canvas-box' }, canvas),
    h(
      'p',
      { id: 'colourbar-label' },
      `Colour bar: ${quantity} (${minus ? 'blue-orange, centred at 0' : 'viridis'}, ${fmt(range[0], 3)} to ${fmt(range[1], 3)})`,
    ),
    h(
      'ul',
      { class: 'roi-legend' },
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${roiColour(1)}` }),
        `outline: ${roi} (${vox.indices.length} voxels)`,
      ),
    ),
    where,
  );
  await loadLayers(nv, canvas, { mask, scores, inRoi, labels, shape, range, minus: !!minus, roi });
  centreOnBest(nv, vox, shape);
  nv.onLocationChange = (data) => {
    where.textContent = (data as { string?: string }).string ?? '';
  };
  canvas.dataset.ready = '1';
  canvas.dataset.roi = roi;
  signal.addEventListener('abort', () => nv.gl?.getExtension('WEBGL_lose_context')?.loseContext());
}

/** Slice views, the outline switch and the ROI whose map is shown (changing it reloads the page for that ROI). */
function viewTools(nv: Niivue, outlines: HTMLInputElement, run: Run, roi: string, rois: string[]): HTMLElement {
  const pick = select(
    'roi',
    rois.map((r) => ({ value: r, label: r })),
    roi,
    {
      id: 'roi-select',
      onchange: (e: Event) => {
        const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
        params.set('roi', (e.target as HTMLSelectElement).value);
        location.hash = `#/run/${run.id}?${params}`;
      },
    },
  );
  return h(
    'div',
    { class: 'tools' },
    ...(
      [
        ['multiplanar', SLICE_TYPE.MULTIPLANAR],
        ['axial', SLICE_TYPE.AXIAL],
        ['coronal', SLICE_TYPE.CORONAL],
        ['sagittal', SLICE_TYPE.SAGITTAL],
      ] as const
    ).map(([name, t]) => h('button', { type: 'button', onclick: () => nv.setSliceType(t) }, name)),
    h('label', {}, 'ROI ', pick),
    h('label', {}, outlines, ' ROI outline'),
  );
}

/**
 * The ROI's outline as a label volume: the voxels just outside it that touch it (6-neighbours), so that the outline
 * surrounds the ROI and never covers a scored voxel (NiiVue's own atlas outline fills small ROIs).
 */
function ringAround(inRoi: Uint8Array, shape: number[]): Uint8Array {
  const [X, Y, Z] = shape;
  const ring = new Uint8Array(inRoi.length);
  const steps = [1, -1, X, -X, X * Y, -X * Y];
  inRoi.forEach((v, i) => {
    if (!v) return;
    const [x, y, z] = [i % X, Math.floor(i / X) % Y, Math.floor(i / (X * Y))];
    const inside = [x < X - 1, x > 0, y < Y - 1, y > 0, z < Z - 1, z > 0];
    steps.forEach((d, k) => {
      if (inside[k] && !inRoi[i + d]) ring[i + d] = 1;
    });
  });
  return ring;
}

/** Background (brain mask, or the ROI's voxels without one), the scores, and the ROI's outline as a label volume. */
async function loadLayers(
  nv: Niivue,
  canvas: HTMLCanvasElement,
  o: {
    mask: ArrayBuffer | null;
    scores: ArrayBuffer;
    inRoi: Uint8Array;
    labels: Uint8Array;
    shape: number[];
    range: [number, number];
    minus: boolean;
    roi: string;
  },
): Promise<void> {
  await nv.attachToCanvas(canvas);
  nv.setInterpolation(true);
  const background = o.mask ?? encodeNifti1(o.inRoi, o.shape).slice().buffer;
  await nv.loadFromArrayBuffer(background, o.mask ? 'brainmask.nii.gz' : 'rois-mask.nii');
  await nv.loadFromArrayBuffer(o.scores, o.minus ? 'difference.nii' : 'scores.nii');
  await nv.loadFromArrayBuffer(encodeNifti1(o.labels, o.shape, { intentCode: 1002 }).slice().buffer, 'rois.nii');
  const [bg, sv, lv] = nv.volumes;
  bg.colormap = 'gray';
  bg.cal_min = 0;
  bg.cal_max = 2.5;
  bg.colorbarVisible = false;
  if (o.minus) {
    sv.colormap = 'warm';
    sv.colormapNegative = 'winter';
    sv.cal_min = 0;
    sv.cal_max = o.range[1];
    sv.cal_minNeg = o.range[0];
    sv.cal_maxNeg = 0;
  } else {
    sv.colormap = 'viridis';
    sv.cal_min = o.range[0];
    sv.cal_max = o.range[1];
  }
  const c = roiColour(1);
  const channel = (k: number) => [0, parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16)];
  lv.setColormapLabel({ R: channel(0), G: channel(1), B: channel(2), A: [0, 255], I: [0, 1], labels: ['', o.roi] });
  lv.colorbarVisible = false;
  nv.setOpacity(2, 1);
  nv.updateGLVolume();
  nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
}

/** Centre the crosshair on the ROI's best voxel. */
function centreOnBest(nv: Niivue, vox: VoxelResults, shape: number[]): void {
  let best = -1;
  vox.values.forEach((v, i) => {
    if (v !== null && (best < 0 || v > vox.values[best]!)) best = i;
  });
  if (best < 0) return;
  const idx = vox.indices[best];
  const [x, y, z] = [idx % shape[0], Math.floor(idx / shape[0]) % shape[1], Math.floor(idx / (shape[0] * shape[1]))];
  nv.scene.crosshairPos = [(x + 0.5) / shape[0], (y + 0.5) / shape[1], (z + 0.5) / shape[2]];
  nv.drawScene();
}

/** Okabe-Ito colours for ROI outlines (colour-blind safe), cycling after eight. */
function roiColour(label: number): string {
  return ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'][(label - 1) % 8];
}
