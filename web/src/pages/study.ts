/**
 * One study: state and live progress (server-sent events), cancel, and as cells finish, per subject or
 * averaged over subjects, the layer x ROI heatmaps and depth lines of neurons, SAE latents and the difference.
 */
import { type ApiError, get, send, streamEvents, type Model } from '../api';
import type { StudyComparisons } from '../api-types';
import { clear, csv, download, h, select } from '../dom';
import { matrixView, meanOverSubjects } from '../matrix-view';
import { roiQuantity } from '../quantity';
import { studyMatrices, studyMethod, withComparison, type Study } from '../studies';

const MEAN = '__mean__';

export async function render(
  root: HTMLElement,
  params: URLSearchParams,
  id: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (!id) throw new Error('no study id');
  const [study0, models] = await Promise.all([
    get<Study>(`/v1/studies/${id}`, signal),
    get<{ items: Model[] }>('/v1/models?limit=1000', signal),
  ]);
  let study = study0;
  const studyModels = models.items.filter((m) => m.layers.some((l) => study.inputs.layerIds.includes(l.id)));
  const state = {
    model: params.get('model') ?? studyModels[0]?.id ?? '',
    subject: params.get('subject') ?? study.inputs.subjects[0],
  };

  const bar = h('progress', { max: 1, value: 0 });
  const stateEl = h('span', { class: 'state' });
  const running = h('ul', { class: 'muted running' });
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel study');
  const progressRow = h(
    'div',
    { class: 'job study-progress' },
    h('span', { class: 'label' }, 'progress'),
    bar,
    stateEl,
    h('span', { class: 'stage' }),
    cancel,
  );
  const results = h('div', { id: 'study-results' });
  root.append(
    h('h1', {}, study.name ?? `Study ${study.id.slice(0, 8)}`),
    h(
      'dl',
      { class: 'facts' },
      ...[
        ['subjects', study.inputs.subjects.join(', ')],
        ['layers', String(study.inputs.layerIds.length)],
        ['ROIs', study.inputs.rois.map((r) => r.name).join(', ')],
        ['preset', study.inputs.preset],
        ['cells', String(study.cells.length)],
        ['created', new Date(study.createdAt).toLocaleString()],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    progressRow,
    running,
    results,
  );

  const modelById = new Map(models.items.map((m) => [m.id, m]));
  const layerName = new Map(models.items.flatMap((m) => m.layers.map((l) => [l.id, `${m.name} / ${l.name}`] as const)));
  const showProgress = (s: Pick<Study, 'state' | 'progress'>) => {
    progressRow.dataset.state = s.state;
    const f = s.progress.total ? s.progress.done / s.progress.total : 0;
    bar.value = f;
    progressRow.dataset.fraction = String(f);
    stateEl.textContent = `${s.state} · ${s.progress.done}/${s.progress.total} cells${s.progress.failed ? `, ${s.progress.failed} failed` : ''}`;
    cancel.disabled = !['queued', 'running'].includes(s.state);
    clear(
      running,
      ...s.progress.running.map((r) =>
        h(
          'li',
          {},
          `${r.subject} · ${layerName.get(r.layerId) ?? r.layerId} · ${r.representation}: ${r.stage ?? 'starting'} (${Math.round(100 * r.fraction)}%)`,
        ),
      ),
    );
  };
  let shownDone = -1;
  const showResults = async () => {
    if (study.progress.done === shownDone) return;
    shownDone = study.progress.done;
    const model = modelById.get(state.model);
    const el = h('div', {});
    if (!model || !study.results.length) {
      el.append(h('p', { class: 'muted' }, 'No finished cells yet; results appear here as they finish.'));
    } else {
      const subjects = study.inputs.subjects;
      const go = (patch: Partial<typeof state>) =>
        (location.hash = `#/study/${study.id}?${new URLSearchParams({ ...state, ...patch })}`);
      el.append(
        h(
          'form',
          {
            class: 'controls',
            onchange: (e: Event) =>
              go({ [(e.target as HTMLSelectElement).name]: (e.target as HTMLSelectElement).value }),
          },
          h(
            'label',
            {},
            'model ',
            select(
              'model',
              studyModels.map((m) => ({ value: m.id, label: m.name })),
              state.model,
            ),
          ),
          h(
            'label',
            {},
            'subject ',
            select(
              'subject',
              [
                ...subjects.map((s) => ({ value: s, label: s })),
                ...(subjects.length > 1 ? [{ value: MEAN, label: `mean over ${subjects.length} subjects` }] : []),
              ],
              state.subject,
            ),
          ),
          h('button', { type: 'button', class: 'link', onclick: () => downloadCsv(study) }, 'results table (CSV)'),
        ),
      );
      const mean = state.subject === MEAN;
      const per = (s: string) => studyMatrices(study, model, s);
      const one = mean ? null : per(state.subject);
      const matrices = mean
        ? [0, 1, 2].map((k) => meanOverSubjects(subjects.map((s) => per(s).matrices[k])))
        : one!.matrices;
      // The q of each SAE - neurons cell, outlined as on the scores page (only once the study has both).
      const cmp = await get<StudyComparisons>(`/v1/studies/${study.id}/comparisons?a=neurons&b=sae`, signal).catch(
        () => null,
      );
      if (cmp) matrices[2] = withComparison(matrices[2], cmp, mean ? null : state.subject);
      await matrixView(el, matrices, {
        name: `${study.name ?? study.id.slice(0, 8)}-${model.name}-${mean ? 'mean' : state.subject}`,
        scope: `${model.name}, ${mean ? `mean over ${subjects.join(', ')}` : state.subject}, ${study.inputs.preset}`,
        quantity: roiQuantity(studyMethod(study.inputs)),
        qNote: mean
          ? 'Benjamini-Hochberg of the sign-flip p over subjects'
          : "Benjamini-Hochberg of the corrected resampled t p over folds, across the study's cells",
        onCell: one
          ? (layerId, roi, rep) => {
              const run = (r: string) => one.runs.get(`${layerId}|${r}|${roi}`);
              if (rep !== 'difference' && run(rep)) location.hash = `#/run/${run(rep)}?roi=${encodeURIComponent(roi)}`;
              if (rep === 'difference' && run('sae') && run('neurons'))
                location.hash = `#/run/${run('sae')}?minus=${run('neurons')}&roi=${encodeURIComponent(roi)}`;
            }
          : undefined,
      });
    }
    clear(results, el);
  };
  showProgress(study);
  await showResults();

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      study = await send<Study>('DELETE', `/v1/studies/${study.id}`);
      showProgress(study);
    } catch (e) {
      cancel.disabled = false;
      stateEl.textContent = (e as ApiError).message;
    }
  });

  // Live: progress from the event stream; the full study (with results) when a cell finishes.
  const reload = async () => {
    study = await get<Study>(`/v1/studies/${study.id}`, signal);
    showProgress(study);
    await showResults();
  };
  let refresh = Promise.resolve();
  if (['queued', 'running'].includes(study.state)) {
    void (async () => {
      let ended = false;
      while (!ended && !signal.aborted) {
        try {
          await streamEvents(
            `/v1/studies/${study.id}/events`,
            (event, data) => {
              const p = JSON.parse(data) as Pick<Study, 'state' | 'progress'>;
              showProgress(p);
              if (event === 'end') ended = true;
              if (p.progress.done !== shownDone || ended) refresh = refresh.then(reload).catch(() => undefined);
            },
            signal,
          );
        } catch {
          if (signal.aborted) return;
        }
        if (!ended) await new Promise((r) => setTimeout(r, 1500));
      }
    })();
  }
}

function downloadCsv(study: Study): void {
  const head = [
    'subject',
    'model',
    'layer',
    'representation',
    'roi',
    'atlas',
    'value',
    'sem',
    'nVoxels',
    'nStimuli',
    'runId',
  ] as const;
  download(
    `study-${study.id.slice(0, 8)}.csv`,
    csv(
      [...head],
      study.results.map((r) => head.map((k) => r[k])),
    ),
  );
}
