/**
 * "Results changed" signals between processes: writers call notifyResultsChanged() inside their
 * transaction (Postgres delivers NOTIFY at commit) and every service process listens, so read caches
 * in any process drop stale entries. In-process listeners are told at once as well.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
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

/** Listen for other processes' notifications; returns a stop function. Reconnects after errors. */
export async function listenForResultChanges(
  databaseUrl: string,
  onError: (err: Error) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', () => local.emit('changed'));
    c.on('error', (err) => {
      onError(err);
      local.emit('changed'); // notifications may have been missed
      if (!stopped) setTimeout(() => void connect().catch(onError), 1000);
    });
    await c.connect();
    await c.query(`LISTEN ${RESULTS_CHANNEL}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}
