/** A small client for the service's own HTTP API (used by the demo and batch scripts). */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  async request<T = any>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.baseUrl + pathname, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new ApiError(res.status, parsed);
    return { status: res.status, body: parsed as T };
  }

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  get<T = any>(pathname: string) {
    return this.request<T>('GET', pathname).then((r) => r.body);
  }

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  post<T = any>(pathname: string, body: unknown) {
    return this.request<T>('POST', pathname, body).then((r) => r.body);
  }
}

/** A file part of a multipart upload: read from `file` on this machine, sent as `filename`. */
export interface UploadFile {
  field: string;
  file: string;
  filename: string;
}

/** The parts of a multipart/form-data body (text fields, then the files streamed from disk) and its length. */
async function multipartParts(fields: Record<string, string>, files: UploadFile[], boundary: string) {
  const parts: { head: Buffer; file?: string; size: number }[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    parts.push({ head: Buffer.from(head), size: 0 });
  }
  for (const f of files) {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename.replace(/"/g, '')}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    parts.push({ head: Buffer.from(head), file: f.file, size: (await stat(f.file)).size + 2 });
  }
  const tail = Buffer.from(`--${boundary}--\r\n`);
  return { parts, tail, length: tail.length + parts.reduce((t, p) => t + p.head.length + p.size, 0) };
}

/**
 * POST (or PUT) multipart/form-data, streaming the files from disk (never whole in memory) with Content-Length;
 * `onProgress(sentBytes, totalBytes)` as the body goes out. Errors as ApiError, like `request`.
 */
export async function postMultipart(
  api: { baseUrl: string; key?: string },
  pathname: string,
  fields: Record<string, string>,
  files: UploadFile[],
  onProgress?: (sent: number, total: number) => void,
  method: 'POST' | 'PUT' = 'POST',
): Promise<{ status: number; body: unknown }> {
  const boundary = `----brain-align-${randomBytes(12).toString('hex')}`;
  const { parts, tail, length } = await multipartParts(fields, files, boundary);
  const url = new URL(api.baseUrl + pathname);
  const headers: Record<string, string | number> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    'Content-Length': length,
  };
  if (api.key) headers.Authorization = `Bearer ${api.key}`;
  const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
  });
  // A server that answers early (401, 413) may close before the body is out: its answer wins.
  const sending = (async () => {
    let sent = 0;
    const write = async (chunk: Buffer) => {
      sent += chunk.length;
      if (!req.write(chunk)) await once(req, 'drain');
      onProgress?.(sent, length);
    };
    for (const p of parts) {
      await write(p.head);
      if (!p.file) continue;
      for await (const chunk of createReadStream(p.file, { highWaterMark: 1 << 20 })) await write(chunk as Buffer);
      await write(Buffer.from('\r\n'));
    }
    await write(tail);
    req.end();
  })().catch(() => undefined);
  const { status, text } = await answer;
  await Promise.race([sending, new Promise((r) => setTimeout(r, 100))]);
  let body: unknown = text || undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  if (status >= 400) throw new ApiError(status, body);
  return { status, body };
}
