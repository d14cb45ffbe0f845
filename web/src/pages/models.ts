/** Models, their layers and each layer's SAEs: width, stimuli, SAE metrics and training curves. */
import { get, type Model } from '../api';
import type { Sae } from '../api-types';
import { curvesSpec, figure, type Row } from '../charts';
import { fmt, h, table } from '../dom';

/** The training curve fields (SaeCurvePoint), titled in words with their y axes. */
const CURVE_PANELS = [
  { key: 'loss', title: 'Reconstruction loss (training)', yTitle: 'squared error per sample' },
  { key: 'auxLoss', title: 'Dead-latent (AuxK) loss (training)', yTitle: 'squared error per sample' },
  { key: 'heldOutFvu', title: 'Unexplained variance (held out)', yTitle: 'FVU (fraction)' },
  { key: 'heldOutMeanL0', title: 'Active latents per sample (held out)', yTitle: 'mean L0 (latents)' },
  { key: 'heldOutDeadShare', title: 'Dead latents (held out)', yTitle: 'share of latents' },
  { key: 'trainDeadShare', title: 'Dead latents (training rule)', yTitle: 'share of latents' },
];

export async function render(
  root: HTMLElement,
  _params: URLSearchParams,
  _arg: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const models = (await get<{ items: Model[] }>('/v1/models?limit=1000', signal)).items;
  root.append(h('h1', {}, 'Models, layers and SAEs'));
  if (!models.length) root.append(h('p', { class: 'muted' }, 'No models registered yet.'));
  for (const m of models) {
    const saes = new Map(
      await Promise.all(
        m.layers.map(
          async (l) => [l.id, (await get<{ items: Sae[] }>(`/v1/layers/${l.id}/saes`, signal)).items] as const,
        ),
      ),
    );
    const rows = m.layers.flatMap((l) => {
      const list = saes.get(l.id) ?? [];
      const layerCells = [h('strong', {}, l.name), String(l.position), String(l.width), String(l.count), l.dtype];
      if (!list.length) return [[...layerCells, '-', '', '', '', '', '']];
      return list.map((s, i) => [
        ...(i === 0 ? layerCells : ['', '', '', '', '']),
        `${s.origin} · ${s.status}`,
        `${s.latents} (k ${s.k})`,
        fmt(s.metrics?.fvu, 4),
        fmt(s.metrics?.meanL0, 2),
        s.metrics ? `${(100 * s.metrics.deadShare).toFixed(1)}%` : '-',
        s.error ?? '',
      ]);
    });
    const section = h(
      'section',
      { class: 'model', 'data-model': m.id },
      h('h2', {}, m.name, m.description ? h('span', { class: 'muted' }, ` — ${m.description}`) : null),
      table(['layer', 'depth', 'width', 'stimuli', 'dtype', 'SAE', 'latents', 'FVU', 'L0', 'dead', 'error'], rows),
    );
    root.append(section);
    // Training curves of every trained SAE of this model, one line per layer.
    const curves: Row[] = [];
    for (const l of m.layers) {
      const s = (saes.get(l.id) ?? []).find((x) => x.curves?.length);
      s?.curves?.forEach((c, epoch) => {
        for (const [metric, v] of Object.entries(c))
          if (typeof v === 'number' && CURVE_PANELS.some((p) => p.key === metric))
            curves.push({ layer: l.name, epoch: Number(c.epoch ?? epoch + 1), metric, value: v });
      });
    }
    if (curves.length) {
      const fig = await figure(
        `${m.name}-sae-training`,
        `SAE training curves per layer (newest SAE with curves), ${m.name}`,
        curvesSpec(
          curves,
          { field: 'epoch', title: 'epoch' },
          'layer',
          CURVE_PANELS.filter((p) => curves.some((c) => c.metric === p.key)),
        ),
        { head: ['layer', 'epoch', 'metric', 'value'], rows: curves },
      );
      section.append(fig.el);
    }
  }
}
