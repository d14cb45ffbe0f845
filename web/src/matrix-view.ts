/**
 * The layer x ROI view shared by the scores and study pages: heatmaps of neurons, SAE latents and
 * SAE - neurons, the score-by-layer lines per ROI, and a one-line-per-ROI summary.
 */
import type { Matrix } from './api';
import { depthSpec, figure, heatCells, heatmapSpec, type Row } from './charts';
import { fmt, h } from './dom';

export const REPS = [
  { rep: 'neurons', title: 'neurons', diverging: false },
  { rep: 'sae', title: 'SAE latents', diverging: false },
  { rep: 'difference', title: 'SAE - neurons', diverging: true },
] as const;

/**
 * matrices: [neurons, sae, difference]; onCell(layerId, roi, rep) makes cells clickable. `quantity` names what a
 * cell holds ("ROI mean of per-voxel cosine, paper preset"): every legend and axis says it. `qNote` says what the
 * outlined cells' q is (default: BH of the corrected resampled t p over folds).
 */
export async function matrixView(
  root: HTMLElement,
  matrices: Matrix[],
  o: {
    name: string;
    scope: string;
    quantity: string;
    qNote?: string;
    onCell?: (layerId: string, roi: string, rep: string) => void;
  },
): Promise<void> {
  const layers = matrices[0].layers.map((l) => l.name);
  const rois = [...new Set(matrices.flatMap((m) => m.rois))];
  const grid = h('div', { class: 'heatmaps' });
  root.append(grid);
  for (const [k, { rep, title, diverging }] of REPS.entries()) {
    const m = matrices[k];
    const values = layers.map((_, i) => rois.map((r) => m.values[i]?.[m.rois.indexOf(r)] ?? null));
    const sems = layers.map((_, i) => rois.map((r) => m.sem[i]?.[m.rois.indexOf(r)] ?? null));
    // neurons and SAE latents share one colour scale; the difference has its own, centred at 0.
    const shared = diverging ? [] : matrices.slice(0, 2).flatMap((x) => x.values);
    const at = (g: (number | null)[][] | undefined, i: number, r: string) => g?.[i]?.[m.rois.indexOf(r)] ?? null;
    // Statistics of the difference when the service has them (the corrected resampled t): its interval replaces
    // value ± 1.96 sem, and its BH q outlines the cell.
    const stats = (i: number, j: number): Row => {
      if (!m.q) return { layerId: m.layers[i].id, baseline: at(m.baseline, i, rois[j]) };
      const [lo, hi, p, q] = [
        at(m.lower, i, rois[j]),
        at(m.upper, i, rois[j]),
        at(m.p, i, rois[j]),
        at(m.q, i, rois[j]),
      ];
      return { layerId: m.layers[i].id, lo, hi, p, q, sig: q !== null && q < 0.05 };
    };
    const { cells, domain } = heatCells(layers, rois, values, sems, diverging, stats, shared);
    const section = h('section', { class: 'heat', id: `heat-${rep}`, 'data-rep': rep });
    grid.append(section);
    if (!cells.length) {
      section.append(h('h2', {}, title), h('p', { class: 'muted' }, 'No scores for this selection.'));
      continue;
    }
    const fig = await figure(
      `${o.name}-${rep}`,
      `${title} (${o.scope})${m.q ? `; outlined: q < 0.05 (${o.qNote ?? 'Benjamini-Hochberg of the corrected resampled t p over folds'})` : ''}`,
      heatmapSpec({
        rows: layers,
        cols: rois,
        rowTitle: 'layer',
        colTitle: 'ROI',
        cells,
        domain,
        diverging,
        legend: diverging ? `SAE - neurons, ${o.quantity}` : o.quantity,
        tooltip: m.q
          ? [
              { field: 'p', title: 'p (corrected resampled t)', type: 'quantitative', format: '.3g' },
              { field: 'q', title: 'q (BH)', type: 'quantitative', format: '.3g' },
            ]
          : m.baseline
            ? [{ field: 'baseline', title: 'baseline (training mean)', type: 'quantitative', format: '.4f' }]
            : undefined,
      }),
      {
        head: ['row', 'col', 'value', 'sem', 'lo', 'hi', ...(m.q ? ['p', 'q'] : m.baseline ? ['baseline'] : [])],
        rows: cells,
      },
      o.onCell ? (d) => o.onCell!(String(d.layerId), String(d.col), rep) : undefined,
    );
    section.append(h('h2', {}, title), fig.el);
  }

  // Depth trends: score by layer per ROI, neurons vs SAE latents, +-1 sem.
  const lines: Row[] = [];
  for (const [k, name] of [
    [0, 'neurons'],
    [1, 'SAE latents'],
  ] as const) {
    const m = matrices[k];
    m.layers.forEach((l, i) => {
      m.rois.forEach((roi, j) => {
        const v = m.values[i][j];
        const s = m.sem[i][j];
        if (v !== null)
          lines.push({
            layer: l.name,
            roi,
            representation: name,
            value: v,
            sem: s,
            lo: v - (s ?? 0),
            hi: v + (s ?? 0),
          });
      });
    });
  }
  lines.push(...baselineLines(matrices));
  if (lines.length) {
    const fig = await figure(
      `${o.name}-depth`,
      `${o.quantity} by layer per ROI, neurons vs SAE latents, error bars ± 1 sem; dashed: the baseline, each voxel predicted by its training mean (${o.scope})`,
      depthSpec(lines, layers, rois, o.quantity),
      {
        head: ['roi', 'layer', 'representation', 'value', 'sem'],
        rows: lines,
      },
    );
    root.append(h('section', { id: 'depth' }, h('h2', {}, 'Depth trends'), fig.el));
  }
  root.append(summary(layers, rois, matrices));
}

/**
 * The dashed baseline of the depth chart: per layer and ROI, the score of the training-mean prediction (the same
 * for neurons and SAE latents, which share targets and folds: the neurons' where it exists, else the SAE's).
 */
function baselineLines([n, s]: Matrix[]): Row[] {
  const out: Row[] = [];
  n.layers.forEach((l, i) => {
    for (const roi of new Set([...n.rois, ...s.rois])) {
      const b = n.baseline?.[i]?.[n.rois.indexOf(roi)] ?? s.baseline?.[i]?.[s.rois.indexOf(roi)] ?? null;
      if (b !== null && Number.isFinite(b)) out.push({ layer: l.name, roi, representation: 'baseline', value: b });
    }
  });
  return out;
}

/** One line per ROI: the best layer for neurons and for SAE latents (the paper's headline reading). */
function summary(layers: string[], rois: string[], [n, s, d]: Matrix[]): HTMLElement {
  const best = (m: Matrix, j: number) => {
    let bi = -1;
    m.values.forEach((row, i) => {
      if (row[j] !== null && (bi < 0 || row[j]! > m.values[bi][j]!)) bi = i;
    });
    return bi < 0 ? '-' : `${layers[bi]} (${fmt(m.values[bi][j])})`;
  };
  const rows = rois.map((r) => {
    const j = (m: Matrix) => m.rois.indexOf(r);
    const diffs = d.values.map((row) => row[j(d)]).filter((v): v is number => v !== null);
    const wins = diffs.filter((v) => v > 0).length;
    return [r, best(n, j(n)), best(s, j(s)), diffs.length ? `${wins} of ${diffs.length}` : '-'];
  });
  const t = h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'ROI'),
        h('th', {}, 'best layer, neurons'),
        h('th', {}, 'best layer, SAE'),
        h('th', {}, 'layers where SAE > neurons'),
      ),
    ),
  );
  t.append(h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
  return h('section', {}, h('h2', {}, 'Summary'), t);
}

/** Mean over subjects per cell (cells every subject has), with the sem across subjects. */
export function meanOverSubjects(ms: Matrix[]): Matrix {
  const rois = [...new Set(ms.flatMap((m) => m.rois))];
  const layers = ms[0].layers;
  const values: (number | null)[][] = [];
  const sem: (number | null)[][] = [];
  const baseline = ms.every((m) => m.baseline)
    ? meanGrid(
        ms.map((m) => ({ rois: m.rois, grid: m.baseline! })),
        rois,
      )
    : undefined;
  layers.forEach((_, i) => {
    values.push([]);
    sem.push([]);
    for (const r of rois) {
      const xs = ms.map((m) => (m.rois.includes(r) ? m.values[i][m.rois.indexOf(r)] : null));
      if (xs.some((x) => x === null)) {
        values[i].push(null);
        sem[i].push(null);
        continue;
      }
      const v = xs as number[];
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      values[i].push(mu);
      sem[i].push(
        v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1) / v.length) : null,
      );
    }
  });
  return { layers, rois, values, sem, ...(baseline ? { baseline } : {}) };
}

/** Per cell the mean over the grids that all have it (null otherwise). */
function meanGrid(gs: { rois: string[]; grid: (number | null)[][] }[], rois: string[]): (number | null)[][] {
  return gs[0].grid.map((_, i) =>
    rois.map((r) => {
      const xs = gs.map((g) => (g.rois.includes(r) ? (g.grid[i]?.[g.rois.indexOf(r)] ?? null) : null));
      return xs.every((x) => x !== null) ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : null;
    }),
  );
}
