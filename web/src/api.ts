/**
 * The API client of the dashboard: same origin, JSON in and out, problem+json errors as ApiError.
 * The API key lives only in sessionStorage (gone when the tab closes) and is sent as a Bearer token.
 */
import type { FieldError, Problem, ScoreMatrix } from './api-types';

const KEY = 'brain-align.apiKey';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

function headers(extra: Record<string, string> = {}): Headers {
  const h = new Headers(extra);
  const key = apiKey.get();
  if (key) h.set('Authorization', `Bearer ${key}`);
  return h;
}

async function fail(res: Response): Promise<never> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as Partial<Problem>;
    throw new ApiError(res.status, p.title ?? res.statusText, p.detail ?? '', p.errors ?? []);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(res.status, res.statusText, text.slice(0, 200));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
export async function get<T = any>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers({ Accept: 'application/json' }), signal });
  if (!res.ok) return fail(res);
  return res.json() as Promise<T>;
}

export async function getBytes(path: string): Promise<ArrayBuffer> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) return fail(res);
  return res.arrayBuffer();
}

/** A write: asks for the API key first when none is stored. */
// biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
export async function send<T = any>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  if (!apiKey.get()) {
    const k = window.prompt(
      'This action needs an API key (npm run cli -- keys create <name>). It is kept only for this browser tab.',
    );
    if (!k) throw new ApiError(401, 'No API key', 'an API key is needed for this action');
    apiKey.set(k.trim());
    window.dispatchEvent(new Event('apikey'));
  }
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) apiKey.clear();
  if (!res.ok) return fail(res);
  return res.json() as Promise<T>;
}

/**
 * Server-sent events read with fetch (EventSource cannot send the Authorization header, which reads
 * need when the service requires keys for reads). Calls onEvent per event; resolves when the stream ends.
 */
export async function streamEvents(
  path: string,
  onEvent: (event: string, data: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!res.ok || !res.body) return fail(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}

// Shapes the pages read: the service's own schemas (api-types.ts, written by `npm run openapi`), never a copy.
export type { Dataset, Job, Model, Run, ScoreItem } from './api-types';

/**
 * A layer x ROI matrix as the pages draw it: from /v1/scores/matrix, or computed by a page from a study. The
 * difference view adds the 95% corrected resampled t interval, its p and BH q per cell (`interval` names the
 * method) and, where a study job stored them, the conditional bootstrap interval and sign-flip p.
 */
export type Matrix = Pick<ScoreMatrix, 'layers' | 'rois' | 'values' | 'sem'> &
  Partial<
    Pick<
      ScoreMatrix,
      | 'baseline'
      | 'lower'
      | 'upper'
      | 'p'
      | 'q'
      | 'interval'
      | 'conditionalBootstrapLower'
      | 'conditionalBootstrapUpper'
      | 'conditionalPermutationP'
    >
  >;
