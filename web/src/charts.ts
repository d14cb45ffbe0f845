/**
 * Figures as Vega-Lite specifications (rendered by vega-embed as SVG, so the numbers drawn are text
 * the browser tests can read), each with SVG / PNG / CSV downloads under it.
 */
import embed, { type Result } from 'vega-embed';
import type { TopLevelSpec } from 'vega-lite';
import { csv, download, h } from './dom';

export type Row = Record<string, string | number | boolean | null>;

export interface Figure {
  el: HTMLElement;
  view: Result['view'];
}

/** Okabe-Ito blue and orange: neurons vs SAE latents everywhere (colour-blind safe). */
export const REP_COLOURS = { neurons: '#0072B2', 'SAE latents': '#E69F00' };

/** Render a spec into a <figure> with a caption and download buttons; `table` is what the CSV holds. */
export async function figure(
  name: string,
  caption: string,
  spec: TopLevelSpec,
  table: { head: string[]; rows: Row[] },
  onClick?: (datum: Row) => void,
): Promise<Figure> {
  const chart = h('div', { class: 'chart' });
  const el = h('figure', { 'data-figure': name }, chart);
  const res = await embed(chart, spec, { renderer: 'svg', actions: false, tooltip: { theme: 'light' } });
  const file = name.replace(/[^\w.-]+/g, '_');
  el.append(
    h(
      'figcaption',
      {},
      h('span', {}, caption),
      h(
        'span',
        { class: 'tools' },
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async () => download(`${file}.svg`, new Blob([await res.view.toSVG()], { type: 'image/svg+xml' })),
          },
          'SVG',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async () =>
              download(`${file}.png`, await (await fetch(await res.view.toImageURL('png', 2))).blob()),
          },
          'PNG',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () =>
              download(
                `${file}.csv`,
                csv(
                  table.head,
                  table.rows.map((r) => table.head.map((k) => r[k])),
                ),
              ),
          },
          'CSV',
        ),
      ),
    ),
  );
  if (onClick) {
    chart.classList.add('clickable');
    res.view.addEventListener('click', (_e, item) => {
      const datum = (item as { datum?: Row } | null | undefined)?.datum;
      if (datum && 'value' in datum) onClick(datum);
    });
  }
  return { el, view: res.view };
}

export interface HeatCell extends Row {
  row: string;
  col: string;
  value: number;
  sem: number | null;
  lo: number | null;
  hi: number | null;
  label: string;
  ink: string;
}

/**
 * Build heatmap cells. `diverging`: centred at 0 on a symmetric domain (blue < 0 < orange); otherwise
 * viridis over [min, max]. `ink` keeps each cell's number readable on its colour.
 */
export function heatCells(
  rows: string[],
  cols: string[],
  values: (number | null)[][],
  sems: (number | null)[][],
  diverging: boolean,
  extra: (i: number, j: number) => Row = () => ({}),
  shareWith: (number | null)[][] = [],
): { cells: HeatCell[]; domain: [number, number] } {
  // shareWith: other matrices drawn beside this one, so equal colours mean equal scores.
  const finite = [...values.flat(), ...shareWith.flat()].filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const domain: [number, number] = diverging ? [-m, m] : [lo, hi > lo ? hi : lo + 1];
  const cells: HeatCell[] = [];
  rows.forEach((r, i) => {
    cols.forEach((c, j) => {
      const v = values[i]?.[j];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const s = sems[i]?.[j] ?? null;
      const t = (v - domain[0]) / (domain[1] - domain[0]);
      const dark = diverging ? Math.abs(v) > 0.65 * m : t < 0.55;
      cells.push({
        row: r,
        col: c,
        value: v,
        sem: s,
        lo: s === null ? null : v - 1.96 * s,
        hi: s === null ? null : v + 1.96 * s,
        label: v.toFixed(3),
        ink: dark ? '#fff' : '#111',
        ...extra(i, j),
      });
    });
  });
  return { cells, domain };
}

export function heatmapSpec(o: {
  rows: string[];
  cols: string[];
  rowTitle: string;
  colTitle: string;
  cells: HeatCell[];
  domain: [number, number];
  diverging: boolean;
  legend: string;
  tooltip?: { field: string; title: string; type?: 'quantitative' | 'nominal'; format?: string }[];
}): TopLevelSpec {
  const scale = o.diverging
    ? { scheme: 'blueorange', domain: o.domain, domainMid: 0 }
    : { scheme: 'viridis', domain: o.domain };
  const tooltip = [
    { field: 'row', title: o.rowTitle },
    { field: 'col', title: o.colTitle },
    { field: 'value', title: 'value', type: 'quantitative', format: '.4f' },
    { field: 'sem', title: 'sem', type: 'quantitative', format: '.4f' },
    { field: 'lo', title: '95% interval from', type: 'quantitative', format: '.4f' },
    { field: 'hi', title: '95% interval to', type: 'quantitative', format: '.4f' },
    ...(o.tooltip ?? []),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: o.cells },
    width: { step: Math.max(46, ...o.cols.map((c) => c.length * 7)) },
    height: { step: 26 },
    encoding: {
      x: { field: 'col', type: 'nominal', sort: o.cols, title: o.colTitle, axis: { labelAngle: -30, orient: 'top' } },
      y: { field: 'row', type: 'nominal', sort: o.rows, title: o.rowTitle },
      tooltip: tooltip as never,
    },
    layer: [
      {
        name: 'rects',
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            scale,
            legend: { title: o.legend.split(', '), titleLimit: 320 },
          },
        },
      },
      // Significant cells (q < 0.05 where the service reports q-values) get a black outline.
      ...(o.cells.some((c) => c.sig)
        ? [
            {
              name: 'sig',
              mark: { type: 'rect', fill: null, stroke: '#000', strokeWidth: 2.5 },
              transform: [{ filter: 'datum.sig' }],
            },
          ]
        : []),
      {
        name: 'cells',
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: "datum.ink === '#fff'", value: '#fff' }, value: '#111' },
        },
      },
    ],
    config: { view: { stroke: null }, axis: { domain: false, ticks: false } },
  } as TopLevelSpec;
}

/**
 * Score by layer, one panel per ROI, neurons vs SAE latents with +-1 sem error bars (the paper's depth trends), and
 * rows of representation 'baseline' as a dashed grey line (the training-mean prediction's score).
 */
export function depthSpec(rows: Row[], layers: string[], rois: string[], yTitle: string): TopLevelSpec {
  const x = {
    field: 'layer',
    type: 'ordinal',
    sort: layers,
    title: 'layer (input -> output)',
    axis: { labelAngle: -30 },
  };
  const color = {
    field: 'representation',
    type: 'nominal',
    title: null,
    scale: { domain: Object.keys(REP_COLOURS), range: Object.values(REP_COLOURS) },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    facet: { field: 'roi', type: 'nominal', sort: rois, title: null },
    columns: Math.min(4, rois.length),
    spec: {
      width: Math.max(140, layers.length * 34),
      height: 130,
      layer: [
        {
          mark: { type: 'line', point: true },
          transform: [{ filter: "datum.representation !== 'baseline'" }],
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
            color,
            tooltip: [
              { field: 'roi' },
              { field: 'layer' },
              { field: 'representation' },
              { field: 'value', type: 'quantitative', format: '.4f' },
              { field: 'sem', type: 'quantitative', format: '.4f' },
            ],
          },
        },
        {
          mark: { type: 'errorbar', thickness: 1.5 },
          transform: [{ filter: "datum.representation !== 'baseline'" }],
          encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, color },
        },
        // The baseline (each target predicted by its training mean): the floor a score should be read against.
        {
          name: 'baseline',
          mark: { type: 'line', strokeDash: [5, 4], color: '#666', strokeWidth: 1.5 },
          transform: [{ filter: "datum.representation === 'baseline'" }],
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: yTitle },
            tooltip: [
              { field: 'roi' },
              { field: 'layer' },
              { field: 'value', type: 'quantitative', format: '.4f', title: 'baseline (training mean)' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Grouped bars with +-1 sem error bars (toy experiment, comparisons summaries). */
export function barsSpec(
  rows: Row[],
  o: { x: string; xTitle: string; y: string; yTitle: string; group: string; column?: string; columnSort?: string[] },
): TopLevelSpec {
  const color = {
    field: o.group,
    type: 'nominal',
    title: null,
    scale: { domain: Object.keys(REP_COLOURS), range: Object.values(REP_COLOURS) },
  };
  const inner = {
    width: 220,
    height: 180,
    encoding: {
      x: { field: o.x, type: 'ordinal', title: o.xTitle, axis: { labelAngle: 0 } },
      xOffset: { field: o.group, sort: Object.keys(REP_COLOURS) },
      color,
    },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: o.y, type: 'quantitative', title: o.yTitle },
          tooltip: [
            { field: o.x },
            { field: o.group },
            { field: o.y, type: 'quantitative', format: '.4f' },
            { field: 'sem', type: 'quantitative', format: '.4f' },
          ],
        },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: o.yTitle },
          y2: { field: 'hi' },
          color: { value: '#333' },
        },
      },
    ],
  };
  return (
    o.column
      ? {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: rows },
          facet: { field: o.column, type: 'nominal', title: null, sort: o.columnSort },
          spec: inner,
          resolve: { scale: { y: 'independent' } },
        }
      : { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', data: { values: rows }, ...inner }
  ) as TopLevelSpec;
}

/**
 * Lines over an x axis, one per series (SAE training curves): one panel per metric of `panels`, titled in words
 * with its y axis named (rows carry `metric` = the panel's key).
 */
export function curvesSpec(
  rows: Row[],
  x: { field: string; title: string },
  series: string,
  panels: { key: string; title: string; yTitle: string }[],
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    columns: 3,
    concat: panels.map((p) => ({
      title: p.title,
      width: 200,
      height: 120,
      transform: [{ filter: { field: 'metric', equal: p.key } }],
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: x.field, type: 'quantitative', title: x.title },
        y: { field: 'value', type: 'quantitative', title: p.yTitle, scale: { zero: false } },
        color: { field: series, type: 'nominal', scale: { scheme: 'tableau10' } },
        tooltip: [
          { field: series },
          { field: x.field, title: x.title },
          { field: 'value', type: 'quantitative', format: '.4f', title: p.yTitle },
        ],
      },
    })),
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
