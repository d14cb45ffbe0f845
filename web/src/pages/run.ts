/**
 * A run: its inputs, per-ROI scores and, for alignment runs, the per-voxel scores on the subject's
 * volume in NiiVue with ROI outlines. `?minus=<runId>` shows this run minus that one (SAE - neurons).
 */
import { Niivue, SLICE_TYPE } from '@niivue/niivue';
import { encodeNifti1 } from '../../../src/io/nifti-encode';
import { get, getBytes, type Run, type ScoreItem } from '../api';
import type { VoxelResults } from '../api-types';
import { figure, heatCells, heatmapSpec } from '../charts';
import { fmt, h, table } from '../dom';
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
        ['seconds', run.timings ? fmt(Object.values(run.timings).reduce((a, b) => a + b, 0) / 1000, 1) : '-'],
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
          : ['ROI', 'score', 'sem', 'folds', 'voxels'],
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
        'Score per ROI and fold',
        heatmapSpec({
          rows: rois,
          cols: fold,
          rowTitle: 'ROI',
          colTitle: 'fold',
          cells,
          domain,
          diverging: false,
          legend: 'score',
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
  await drawBrain(viewer, run, minus, params.get('roi'), signal);
}

async function drawBrain(
  el: HTMLElement,
  run: Run,
  minus: Run | null,
  focusRoi: string | null,
  signal: AbortSignal,
): Promise<void> {
  const [vox, base, mask] = await Promise.all([
    get<VoxelResults>(`/v1/runs/${run.id}/voxels?format=json`, signal),
    minus
      ? get<VoxelResults>(`/v1/runs/${minus.id}/voxels?format=json`, signal)
      : getBytes(`/v1/runs/${run.id}/voxels?format=nifti`),
    // The subject's brain mask as the grey background (absent when the manifest declares none).
    run.datasetId && run.subject
      ? getBytes(`/v1/datasets/${run.datasetId}/subjects/${run.subject}/brainmask`).catch(() => null)
      : null,
  ]);
  const shape = vox.volumeShape;
  const n = shape[0] * shape[1] * shape[2];

  // ROI labels from the voxel table, as a label volume (NiiVue outlines label volumes).
  const roiNames = [...new Set(vox.roi)];
  const labels = new Uint8Array(n);
  vox.indices.forEach((idx, i) => {
    labels[idx] = roiNames.indexOf(vox.roi[i]) + 1;
  });

  // Scores: the NIfTI the API serves; a difference is computed voxel by voxel from both runs' tables.
  let scores: ArrayBuffer;
  let range: [number, number];
  if (minus) {
    const b = base as VoxelResults;
    const other = new Map<number, number | null>(b.indices.map((idx, i) => [idx, b.values[i]]));
    const vol = new Float32Array(n).fill(NaN);
    vox.indices.forEach((idx, i) => {
      const a = vox.values[i];
      const o = other.get(idx);
      if (a !== null && o !== null && o !== undefined) vol[idx] = a - o;
    });
    const m = Math.max(1e-6, ...Array.from(vol).filter(Number.isFinite).map(Math.abs));
    range = [-m, m];
    scores = encodeNifti1(vol, shape).slice().buffer;
  } else {
    const finite = vox.values.filter((v): v is number => v !== null);
    range = [Math.min(...finite), Math.max(...finite)];
    scores = base as ArrayBuffer;
  }

  const canvas = h('canvas', { id: 'brain', width: 900, height: 420 });
  const legend = h(
    'ul',
    { class: 'roi-legend' },
    ...roiNames.map((r, i) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${roiColour(i + 1)}` }),
        `${r} (${vox.roi.filter((x) => x === r).length} voxels)`,
      ),
    ),
  );
  const where = h('p', { class: 'muted', id: 'where' }, 'Click or drag on a slice to move; scroll to change slices.');
  const nv = new Niivue({
    backColor: [0.08, 0.08, 0.1, 1],
    show3Dcrosshair: false,
    crosshairColor: [1, 0, 0, 1],
    crosshairWidth: 0,
    isColorbar: true,
    dragAndDropEnabled: false,
  });
  // Outlines mark a label's border voxels; in a small volume (the synthetic sets) every ROI voxel is a
  // border voxel and would hide the scores, so they start hidden there.
  const outlines = h('input', {
    type: 'checkbox',
    checked: Math.min(...shape) >= 24,
    onchange: () => nv.setOpacity(2, outlines.checked ? 1 : 0),
  });
  const views = h(
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
    h('label', {}, outlines, ' ROI outlines'),
  );
  el.append(
    h(
      'p',
      { class: 'muted' },
      minus
        ? 'Per voxel: the SAE-latent score minus the neuron score (orange: SAE higher; blue: neurons higher), on the brain mask.'
        : 'Per voxel: the voxel score (mean over folds), on the brain mask; outlines: ROIs.',
    ),
    views,
    h('div', { class: 'canvas-box' }, canvas),
    legend,
    where,
  );

  await nv.attachToCanvas(canvas);
  nv.setInterpolation(true);
  // Layers: background (brain mask, or the ROI voxels when the dataset has no mask), scores, ROI labels.
  const background =
    mask ??
    encodeNifti1(
      Uint8Array.from(labels, (l) => (l ? 1 : 0)),
      shape,
    ).slice().buffer;
  await nv.loadFromArrayBuffer(background, mask ? 'brainmask.nii.gz' : 'rois-mask.nii');
  await nv.loadFromArrayBuffer(scores, minus ? 'difference.nii' : 'scores.nii.gz');
  await nv.loadFromArrayBuffer(encodeNifti1(labels, shape, { intentCode: 1002 }).slice().buffer, 'rois.nii');
  const [bg, sv, lv] = nv.volumes;
  bg.colormap = 'gray';
  bg.cal_min = 0;
  bg.cal_max = 2.5;
  bg.colorbarVisible = false;
  if (minus) {
    sv.colormap = 'warm';
    sv.colormapNegative = 'winter';
    sv.cal_min = 0;
    sv.cal_max = range[1];
    sv.cal_minNeg = range[0];
    sv.cal_maxNeg = 0;
  } else {
    sv.colormap = 'viridis';
    sv.cal_min = range[0] - 1e-6;
    sv.cal_max = range[1];
  }
  const colours = ['#000000', ...roiNames.map((_, i) => roiColour(i + 1))];
  const channel = (k: number) => colours.map((c) => parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16));
  lv.setColormapLabel({
    R: channel(0),
    G: channel(1),
    B: channel(2),
    A: colours.map((_, i) => (i ? 255 : 0)),
    I: colours.map((_, i) => i),
    labels: ['', ...roiNames],
  });
  lv.colorbarVisible = false;
  nv.setAtlasOutline(1);
  nv.setOpacity(2, outlines.checked ? 1 : 0);
  nv.updateGLVolume();
  nv.setSliceType(SLICE_TYPE.MULTIPLANAR);

  // Centre the crosshair on the best voxel (of the ROI whose cell was clicked, if any).
  let best = -1;
  vox.indices.forEach((_, i) => {
    const v = vox.values[i];
    if ((!focusRoi || vox.roi[i] === focusRoi) && v !== null && (best < 0 || v > vox.values[best]!)) best = i;
  });
  if (best >= 0) {
    const idx = vox.indices[best];
    const [x, y, z] = [idx % shape[0], Math.floor(idx / shape[0]) % shape[1], Math.floor(idx / (shape[0] * shape[1]))];
    nv.scene.crosshairPos = [(x + 0.5) / shape[0], (y + 0.5) / shape[1], (z + 0.5) / shape[2]];
    nv.drawScene();
  }
  nv.onLocationChange = (data) => {
    where.textContent = (data as { string?: string }).string ?? '';
  };
  canvas.dataset.ready = '1';
  signal.addEventListener('abort', () => nv.gl?.getExtension('WEBGL_lose_context')?.loseContext());
}

/** Okabe-Ito colours for ROI outlines (colour-blind safe), cycling after eight. */
function roiColour(label: number): string {
  return ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'][(label - 1) % 8];
}
