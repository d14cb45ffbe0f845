/**
 * "Results changed" signals between processes: writers call notifyResultsChanged() inside their
 * transaction (Postgres delivers NOTIFY at commit) and every service process listens, so read caches
 * in any process drop stale entries. In-process listeners are told at once as well.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { backoffMs } from './availability';
import type { Db } from './client';

export const RESULTS_CHANNEL = 'align_results_changed';

const local = new EventEmitter();

type Tx = Pick<Db, '$executeRawUnsafe'>;

/** Announce that scores, runs, models or layers changed (call within the writing transaction). */
export async function notifyResultsChanged(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${RESULTS_CHANNEL}', '')`);
  local.emit('changed');
}

export function onResultsChanged(fn: () => void): () => void {
  local.on('changed', fn);
  return () => local.off('changed', fn);
}

/**
 * Listen for other processes' notifications; returns a stop function. When the connection is lost (the
 * database stopped or restarted) it connects again with backoff until it succeeds or is stopped; local
 * caches are told that notifications may have been missed.
 */
export async function listenForResultChanges(
  databaseUrl: string,
  onError: (err: Error) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
    c.on('notification', () => local.emit('changed'));
    c.on('error', (err) => {
      onError(err);
      if (client === c) reconnect(0);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${RESULTS_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) await c.end().catch(() => undefined);
    else client = c;
  };
  const reconnect = (attempt: number) => {
    client = null;
    local.emit('changed'); // notifications may have been missed
    if (stopped) return;
    retry = setTimeout(() => {
      connect().catch((err) => {
        if (attempt === 0) onError(err);
        reconnect(attempt + 1);
      });
    }, backoffMs(attempt));
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
