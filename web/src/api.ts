/**
 * The API client of the dashboard: same origin, JSON in and out, problem+json errors as ApiError.
 * The API key lives only in sessionStorage (gone when the tab closes) and is sent as a Bearer token.
 */
const KEY = 'brain-align.apiKey';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface FieldError {
  field: string;
  reason: string;
}

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
    const p = JSON.parse(text) as { title?: string; detail?: string; errors?: FieldError[] };
    throw new ApiError(res.status, p.title ?? res.statusText, p.detail ?? '', p.errors ?? []);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(res.status, res.statusText, text.slice(0, 200));
  }
}

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
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
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

// Shapes the pages read (a subset of openapi.yaml's schemas).
export interface Layer {
  id: string;
  name: string;
  position: number;
  width: number;
  count: number;
  dtype: string;
}
export interface Model {
  id: string;
  name: string;
  description: string | null;
  layers: Layer[];
}
export interface Matrix {
  layers: { id: string; name: string; position: number }[];
  rois: string[];
  values: (number | null)[][];
  sem: (number | null)[][];
  /** Difference view, once the service computes statistics: the 95% interval, p and BH q per cell. */
  lower?: (number | null)[][];
  upper?: (number | null)[][];
  p?: (number | null)[][];
  q?: (number | null)[][];
}
export interface Job {
  id: string;
  kind: string;
  state: string;
  progress: { stage: string; done: number; total: number; fraction: number; message?: string } | null;
  error: string | null;
  runId: string | null;
  saeId: string | null;
}
export interface Dataset {
  id: string;
  name: string;
  atlases: { name: string; labels: Record<string, string> }[];
  subjects: {
    label: string;
    volumeShape: number[];
    images: number;
    rois: { atlas: string; name: string; hemisphere: string; voxelCount: number }[];
  }[];
}
export interface ScoreItem {
  runId: string;
  layerId: string | null;
  layerName: string | null;
  representation: string;
  preset: string;
  subject: string | null;
  atlas: string | null;
  roi: string;
  value: number;
  sem: number | null;
  createdAt: string;
  modelId: string | null;
  datasetId: string | null;
}
export interface Run {
  id: string;
  kind: string;
  status: string;
  method: string;
  datasetId: string | null;
  subject: string | null;
  atlas: string | null;
  layerId: string | null;
  representation: string;
  saeId: string | null;
  backend: string | null;
  timings: Record<string, number> | null;
  error: string | null;
  jobId: string | null;
  createdAt: string;
  finishedAt: string | null;
  scores: { roi: string; value: number; sem: number | null; nVoxels: number | null; foldValues: number[] }[];
}
