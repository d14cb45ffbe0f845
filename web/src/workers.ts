/**
 * Workers and queue (GET /v1/workers), refreshed every few seconds while the page is open: each worker with its
 * host, pid, start, last heartbeat and the jobs it runs (stage), gone workers marked, and per job kind the jobs
 * waiting, running and lost with the oldest wait.
 */
import { get } from './api';
import type { Workers } from './api-types';
import { clear, h, table } from './dom';

const REFRESH_MS = 3000;

/** "12 s", "4 min", "2.5 h" */
function ago(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function workerTable(w: Workers): HTMLElement {
  if (!w.workers.length)
    return h('p', { class: 'muted', id: 'no-workers' }, 'No worker is registered: queued jobs wait until one starts.');
  const rows = w.workers.map((x) => [
    h('span', { class: `worker-status ${x.status}` }, x.status),
    x.host,
    String(x.pid),
    new Date(x.startedAt).toLocaleString(),
    `${ago(x.lastSeenSecondsAgo)} ago`,
    x.jobs.length
      ? x.jobs
          .map((j) => `${j.kind} ${j.id.slice(0, 8)}: ${j.state === 'lost' ? 'lost' : (j.stage ?? j.state)}`)
          .join('; ')
      : 'idle',
  ]);
  const t = table(['', 'Host', 'PID', 'Started', 'Last seen', 'Jobs'], rows, { id: 'workers-table' });
  w.workers.forEach((x, i) => {
    const tr = t.tBodies[0].rows[i];
    tr.dataset.worker = x.id;
    tr.dataset.status = x.status;
  });
  return t;
}

function queueTable(w: Workers): HTMLElement {
  const rows = w.queue.map((q) => [
    q.kind,
    String(q.waiting),
    String(q.running),
    String(q.lost),
    q.oldestWaitingSeconds === null ? '-' : ago(q.oldestWaitingSeconds),
  ]);
  const t = table(['Kind', 'Waiting', 'Running', 'Lost', 'Oldest wait'], rows, { id: 'queue-table' });
  w.queue.forEach((q, i) => {
    t.tBodies[0].rows[i].dataset.kind = q.kind;
  });
  return t;
}

/** The section; it refreshes itself until `signal` aborts (the page changes). */
export function workersPanel(signal: AbortSignal): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'));
  const section = h('section', { id: 'workers' }, h('h2', {}, 'Workers & queue'), body);
  const refresh = async () => {
    try {
      const w = await get<Workers>('/v1/workers', signal);
      clear(
        body,
        workerTable(w),
        queueTable(w),
        h(
          'p',
          { class: 'muted' },
          `A worker silent for ${w.goneAfterSeconds} s is gone; its running jobs are lost and retried on any live worker. ` +
            `Gone workers leave this list after ${ago(w.pruneAfterSeconds)}.`,
        ),
      );
    } catch (e) {
      if (!signal.aborted) clear(body, h('p', { class: 'error' }, `workers: ${(e as Error).message}`));
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
  return section;
}
