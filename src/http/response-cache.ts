/**
 * Cache of serialised read responses (score queries and matrices), emptied whenever results change in
 * any process (see db/notify.ts). Entries also expire after `ttlMs` as a bound should a notification be
 * lost. Each entry carries its ETag, so clients can revalidate with If-None-Match.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { HandlerResult } from './route';

export interface CachedResponse {
  body: string;
  etag: string;
  expires: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  /** Bumped by clear(): a value computed across a clear is not stored (it may be stale). */
  generation = 0;
  constructor(
    private readonly maxEntries = 2000,
    private readonly ttlMs = 30_000,
  ) {}

  get(key: string): CachedResponse | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order doubles as LRU order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** Serialise a value with its ETag (not stored). */
  entryFor(value: unknown): CachedResponse {
    const body = JSON.stringify(value);
    return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, expires: Date.now() + this.ttlMs };
  }

  set(key: string, entry: CachedResponse): CachedResponse {
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

/**
 * Serve a read from the cache (keyed by the request URL), computing it on a miss; answers 304 when the
 * client already has this version (If-None-Match).
 */
export async function cachedJson(
  cache: ResponseCache,
  req: Request,
  compute: () => Promise<unknown>,
): Promise<HandlerResult> {
  const key = req.originalUrl;
  let entry = cache.get(key);
  if (!entry) {
    const generation = cache.generation;
    entry = cache.entryFor(await compute());
    if (generation === cache.generation) cache.set(key, entry);
  }
  const headers = { ETag: entry.etag, 'Cache-Control': 'no-cache' };
  if (req.headers['if-none-match'] === entry.etag) return { status: 304, headers };
  return { json: entry.body, headers };
}
