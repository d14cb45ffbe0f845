/**
 * Live job rows: progress from GET /v1/jobs/{id}/events (server-sent events), a cancel button
 * (DELETE /v1/jobs/{id}), and a callback when the job ends so results appear without a reload.
 */
import { type ApiError, send, streamEvents, type Job } from './api';
import { h } from './dom';

export function jobRow(jobId: string, label: string, signal: AbortSignal, onEnd?: (job: Job) => void): HTMLElement {
  const bar = h('progress', { max: 1, value: 0 });
  const state = h('span', { class: 'state' }, 'connecting');
  const stage = h('span', { class: 'muted stage' });
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel');
  const row = h(
    'div',
    { class: 'job', 'data-job': jobId },
    h('span', { class: 'label' }, label),
    bar,
    state,
    stage,
    cancel,
  );
  const show = (job: Job) => {
    row.dataset.state = job.state;
    state.textContent = job.state;
    const fraction = job.state === 'completed' ? 1 : (job.progress?.fraction ?? 0);
    bar.value = fraction;
    row.dataset.fraction = String(fraction);
    stage.textContent = job.failure
      ? `${job.failure.kind}: ${job.failure.message}${job.retryAt ? `; retried from ${new Date(job.retryAt).toLocaleTimeString()} on any worker` : ''}`
      : job.progress
        ? `${job.progress.stage} ${job.progress.done}/${job.progress.total}`
        : '';
    cancel.disabled = ['completed', 'failed', 'cancelled', 'cancelling'].includes(job.state);
  };
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      show(await send<Job>('DELETE', `/v1/jobs/${jobId}`));
    } catch (e) {
      stage.textContent = (e as ApiError).message;
      cancel.disabled = false;
    }
  });
  // Reconnect until the job ends (the stream closes after its `end` event).
  void (async () => {
    let ended = false;
    while (!ended && !signal.aborted) {
      try {
        await streamEvents(
          `/v1/jobs/${jobId}/events`,
          (event, data) => {
            const job = JSON.parse(data) as Job;
            show(job);
            if (event === 'end') {
              ended = true;
              onEnd?.(job);
            }
          },
          signal,
        );
      } catch (e) {
        if (signal.aborted) return;
        stage.textContent = `events: ${(e as Error).message}; retrying`;
      }
      if (!ended) await new Promise((r) => setTimeout(r, 1500));
    }
  })();
  return row;
}
