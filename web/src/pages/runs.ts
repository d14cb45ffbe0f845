/**
 * Studies and runs: submit work (an alignment over layers; a study once the service has /v1/studies),
 * follow its jobs live (server-sent events, cancel), see results appear as jobs end, and list recent runs.
 */
import { type ApiError, get, send, type Dataset, type Job, type Model, type Run, type ScoreItem } from '../api';
import { clear, fmt, h, select, table } from '../dom';
import { checks, FieldRows } from '../form';
import { jobRow } from '../jobs';
import { haveStudies, type Study } from '../studies';
import { workersPanel } from '../workers';

/** Jobs submitted from this tab, so a reload keeps following them. */
const TRACKED = 'brain-align.jobs';
type Tracked = { jobId: string; runId: string | null; label: string };
const tracked = {
  list: (): Tracked[] => JSON.parse(sessionStorage.getItem(TRACKED) ?? '[]'),
  add(t: Tracked[]) {
    const all = [...t, ...tracked.list().filter((x) => !t.some((y) => y.jobId === x.jobId))].slice(0, 50);
    sessionStorage.setItem(TRACKED, JSON.stringify(all));
  },
};

export async function render(
  root: HTMLElement,
  _params: URLSearchParams,
  _arg: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const [models, datasets] = await Promise.all([
    get<{ items: Model[] }>('/v1/models?limit=1000', signal),
    get<{ items: { id: string; name: string }[] }>('/v1/datasets?limit=1000', signal),
  ]);
  root.append(h('h1', {}, 'Studies & runs'));

  const live = h('section', { id: 'live' }, h('h2', {}, 'Jobs from this tab'));
  const results = h('section', { id: 'results' });
  const follow = (t: Tracked) => {
    live.append(
      jobRow(t.jobId, t.label, signal, async (job: Job) => {
        if (job.state !== 'completed' || !t.runId) return;
        const run = await get<Run>(`/v1/runs/${t.runId}`);
        results.prepend(runResult(run, t.label));
      }),
    );
  };

  const studies = await haveStudies(signal);
  if (!datasets.items.length || !models.items.length) {
    root.append(
      h('p', { class: 'muted' }, 'Register a dataset and a model with layers first (see the API docs at /docs).'),
    );
  } else {
    const align = await alignmentForm(models.items, datasets.items, signal, (submitted) => {
      tracked.add(submitted);
      for (const t of submitted) follow(t);
    });
    if (studies) {
      root.append(h('h2', {}, 'Submit a study'), await studyForm(models.items, datasets.items, signal));
      root.append(
        h('details', { class: 'more' }, h('summary', {}, 'or one alignment (one subject, one atlas)'), align),
      );
    } else {
      root.append(h('h2', {}, 'Submit an alignment'), align);
    }
  }
  if (studies) root.append(await studyList(models.items, signal));
  root.append(live, results, workersPanel(signal));
  const mine = tracked.list();
  if (!mine.length) live.append(h('p', { class: 'muted', id: 'no-jobs' }, 'Nothing submitted from this tab yet.'));
  for (const t of mine) follow(t);

  root.append(await recentRuns(models.items, signal));
}

async function alignmentForm(
  models: Model[],
  datasets: { id: string; name: string }[],
  signal: AbortSignal,
  onSubmitted: (t: Tracked[]) => void,
): Promise<HTMLElement> {
  const form = h('form', { class: 'submit', novalidate: true, id: 'submit-form' });
  const rows = new FieldRows();
  const dsSelect = select(
    'datasetId',
    datasets.map((d) => ({ value: d.id, label: d.name })),
    datasets[0].id,
    { id: 'f-dataset' },
  );
  const subject = h('select', { name: 'subject', id: 'f-subject' });
  const atlas = h('select', { name: 'atlas', id: 'f-atlas' });
  const fill = async () => {
    const ds = await get<Dataset>(`/v1/datasets/${dsSelect.value}`, signal);
    clear(subject, ...ds.subjects.map((s) => h('option', { value: s.label }, `${s.label} (${s.images} images)`)));
    clear(atlas, ...ds.atlases.map((a) => h('option', { value: a.name }, a.name)));
  };
  dsSelect.addEventListener('change', () => void fill());
  await fill();
  const layerOptions = models.flatMap((m) =>
    m.layers.map((l) => ({ value: l.id, label: `${m.name} / ${l.name} (${l.width})` })),
  );
  const layers = checks('layerIds', layerOptions);
  const rep = select(
    'representation',
    [
      { value: 'neurons', label: 'neurons' },
      { value: 'sae', label: 'SAE latents (newest ready SAE per layer)' },
    ],
    'neurons',
    { id: 'f-rep' },
  );
  const preset = select(
    'preset',
    ['paper', 'paper-centred', 'encoding', 'centred-own-means', 'unit-norm-columns'].map((p) => ({
      value: p,
      label: p,
    })),
    'paper',
    { id: 'f-preset' },
  );
  const k = h('input', { type: 'number', name: 'k', id: 'f-k', value: '5', style: 'width:5rem' });
  const seed = h('input', { type: 'number', name: 'seed', id: 'f-seed', value: '0', style: 'width:7rem' });
  const rois = h('input', { type: 'text', name: 'rois', id: 'f-rois', placeholder: 'all ROIs of the atlas' });
  rows.row(form, 'Dataset', 'datasetId', dsSelect);
  rows.row(form, 'Subject', 'subject', subject);
  rows.row(form, 'Atlas', 'atlas', atlas);
  rows.row(form, 'ROIs', 'rois', rois, 'comma-separated, e.g. V1v, hV4 (empty: every ROI with voxels)');
  rows.row(form, 'Layers', 'layerIds', layers.el, 'one run per layer');
  rows.row(form, 'Representation', 'representation', rep);
  rows.row(form, 'Preset', 'preset', preset);
  rows.row(form, 'Folds', 'folds', h('span', {}, 'k ', k, '  seed ', seed));
  const submit = h('button', { type: 'submit' }, 'Submit');
  form.append(h('span'), h('div', {}, submit, rows.general));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    rows.clear();
    const body = {
      datasetId: dsSelect.value,
      subject: subject.value,
      atlas: atlas.value,
      ...(rois.value.trim()
        ? {
            rois: rois.value
              .split(',')
              .map((r) => r.trim())
              .filter(Boolean),
          }
        : {}),
      layerIds: layers.value(),
      representation: rep.value,
      preset: preset.value,
      folds: { k: k.valueAsNumber, seed: seed.valueAsNumber },
    };
    submit.disabled = true;
    try {
      const res = await send<{ runs: { id: string; layerId: string; jobId: string | null; status: string }[] }>(
        'POST',
        '/v1/alignments',
        body,
      );
      const label = (layerId: string) =>
        `${layerOptions.find((o) => o.value === layerId)?.label.replace(/ \(\d+\)$/, '') ?? layerId} · ${rep.value} · ${subject.value}`;
      document.getElementById('no-jobs')?.remove();
      onSubmitted(
        res.runs.filter((r) => r.jobId).map((r) => ({ jobId: r.jobId!, runId: r.id, label: label(r.layerId) })),
      );
    } catch (err) {
      rows.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function runResult(run: Run, label: string): HTMLElement {
  return h(
    'div',
    { class: 'card result', 'data-run': run.id },
    h('strong', {}, h('a', { href: `#/run/${run.id}` }, label)),
    table(
      ['ROI', 'score', 'sem', 'voxels'],
      run.scores.map((s) => [s.roi, fmt(s.value, 4), fmt(s.sem, 4), s.nVoxels ?? '-']),
    ),
  );
}

/** Finished runs, newest first, from their scores (one line per run). */
async function recentRuns(models: Model[], signal: AbortSignal): Promise<HTMLElement> {
  const scores = await get<{ items: ScoreItem[] }>(
    '/v1/scores?kind=alignment&sort=-createdAt&limit=1000',
    signal,
  ).catch((e: ApiError) => ({ items: [], error: e }));
  const byRun = new Map<string, ScoreItem[]>();
  for (const s of scores.items) byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
  const modelName = new Map(models.map((m) => [m.id, m.name]));
  const rows = [...byRun.entries()].slice(0, 200).map(([id, ss]) => {
    const s = ss[0];
    const mean = ss.reduce((a, b) => a + b.value, 0) / ss.length;
    return [
      h('a', { href: `#/run/${id}` }, `${modelName.get(s.modelId ?? '') ?? ''} / ${s.layerName ?? '?'}`),
      s.representation === 'sae' ? 'SAE latents' : s.representation,
      s.subject ?? '-',
      s.atlas ?? '-',
      s.preset,
      String(ss.length),
      fmt(mean, 4),
      new Date(s.createdAt).toLocaleString(),
    ];
  });
  return h(
    'section',
    { id: 'recent' },
    h('h2', {}, 'Recent runs'),
    rows.length
      ? table(['layer', 'representation', 'subject', 'atlas', 'preset', 'ROIs', 'mean score', 'finished'], rows)
      : h('p', { class: 'muted' }, 'No finished runs yet.'),
  );
}

async function studyList(models: Model[], signal: AbortSignal): Promise<HTMLElement> {
  const list = await get<{ items: Study[] }>('/v1/studies?limit=100', signal);
  const layerModel = new Map(models.flatMap((m) => m.layers.map((l) => [l.id, m.name] as const)));
  const rows = list.items.map((s) => [
    h('a', { href: `#/study/${s.id}` }, s.name ?? s.id.slice(0, 8)),
    s.state,
    h(
      'span',
      {},
      h('progress', { max: s.progress.total || 1, value: s.progress.done }),
      ` ${s.progress.done}/${s.progress.total}`,
    ),
    s.inputs.subjects.join(', '),
    [...new Set(s.inputs.layerIds.map((id) => layerModel.get(id) ?? '?'))].join(', '),
    String(s.inputs.rois.length),
    new Date(s.createdAt).toLocaleString(),
  ]);
  return h(
    'section',
    { id: 'studies' },
    h('h2', {}, 'Studies'),
    rows.length
      ? table(['study', 'state', 'cells done', 'subjects', 'models', 'ROIs', 'created'], rows)
      : h('p', { class: 'muted' }, 'No studies yet.'),
  );
}

async function studyForm(
  models: Model[],
  datasets: { id: string; name: string }[],
  signal: AbortSignal,
): Promise<HTMLElement> {
  const form = h('form', { class: 'submit', novalidate: true, id: 'study-form' });
  const rows = new FieldRows();
  const name = h('input', { type: 'text', name: 'name', id: 's-name', placeholder: 'optional' });
  const dsSelect = select(
    'datasetId',
    datasets.map((d) => ({ value: d.id, label: d.name })),
    datasets[0].id,
    { id: 's-dataset' },
  );
  const subjectsBox = h('div', {});
  const roisBox = h('div', {});
  let subjects = checks('subjects', []);
  let rois = checks('rois', []);
  const fill = async () => {
    const ds = await get<Dataset>(`/v1/datasets/${dsSelect.value}`, signal);
    subjects = checks(
      'subjects',
      ds.subjects.map((s, i) => ({ value: s.label, label: s.label, checked: i === 0 })),
    );
    const names = [
      ...new Set(
        ds.subjects.flatMap((s) =>
          s.rois.filter((r) => r.hemisphere === 'both' && r.voxelCount > 0).map((r) => `${r.atlas}/${r.name}`),
        ),
      ),
    ];
    rois = checks(
      'rois',
      names.map((n) => ({ value: n, label: n })),
    );
    clear(subjectsBox, subjects.el);
    clear(roisBox, rois.el);
  };
  dsSelect.addEventListener('change', () => void fill());
  await fill();
  const extraRois = h('input', {
    type: 'text',
    name: 'extraRois',
    id: 's-rois',
    placeholder: 'e.g. FFA (a roiGroup of the manifest)',
  });
  const layers = checks(
    'layerIds',
    models.flatMap((m) => m.layers.map((l) => ({ value: l.id, label: `${m.name} / ${l.name} (${l.width})` }))),
  );
  const reps = checks('representations', [
    { value: 'neurons', label: 'neurons', checked: true },
    { value: 'sae', label: 'SAE latents', checked: true },
  ]);
  const preset = select(
    'preset',
    ['paper', 'paper-centred', 'encoding', 'centred-own-means', 'unit-norm-columns'].map((p) => ({
      value: p,
      label: p,
    })),
    'paper',
    { id: 's-preset' },
  );
  const k = h('input', { type: 'number', name: 'k', id: 's-k', value: '5', style: 'width:5rem' });
  const seed = h('input', { type: 'number', name: 'seed', id: 's-seed', value: '0', style: 'width:7rem' });
  rows.row(form, 'Name', 'name', name);
  rows.row(form, 'Dataset', 'datasetId', dsSelect);
  rows.row(form, 'Subjects', 'subjects', subjectsBox);
  rows.row(form, 'Layers', 'layerIds', layers.el);
  rows.row(form, 'Representations', 'representations', reps.el);
  rows.row(
    form,
    'ROIs',
    'rois',
    h('div', {}, roisBox, extraRois),
    'atlas/label; more names (ROI groups) comma-separated',
  );
  rows.row(form, 'Preset', 'preset', preset);
  rows.row(form, 'Folds', 'folds', h('span', {}, 'k ', k, '  seed ', seed));
  const submit = h('button', { type: 'submit' }, 'Submit study');
  form.append(h('span'), h('div', {}, submit, rows.general));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    rows.clear();
    submit.disabled = true;
    try {
      const study = await send<Study>('POST', '/v1/studies', {
        ...(name.value.trim() ? { name: name.value.trim() } : {}),
        datasetId: dsSelect.value,
        subjects: subjects.value(),
        layerIds: layers.value(),
        representations: reps.value(),
        rois: [
          ...rois.value(),
          ...extraRois.value
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
        ],
        preset: preset.value,
        folds: { k: k.valueAsNumber, seed: seed.valueAsNumber },
      });
      location.hash = `#/study/${study.id}`;
    } catch (err) {
      rows.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
