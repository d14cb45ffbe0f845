/**
 * Is the database there? One classifier for "the database server cannot be used right now" (stopped,
 * restarting, shutting down, unreachable, connection lost, pool exhausted), whatever layer raised it: node
 * sockets, node-postgres, pg-boss, Prisma's pg adapter. HTTP answers such errors with 503 and Retry-After,
 * health reports the reason, and the queue waits and retries instead of failing jobs or crashing.
 * Reasons are fixed sentences: no host names, ports, paths or query text reach a client.
 */

/** Socket errors of node (connect, read, write) that mean the server is gone or unreachable. */
const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the database server refused the connection (not running?)',
  ECONNRESET: 'the database server closed the connection',
  EPIPE: 'the database server closed the connection',
  ETIMEDOUT: 'timed out connecting to the database server',
  EHOSTUNREACH: 'the database server is unreachable',
  ENETUNREACH: 'the database server is unreachable',
  ENOTFOUND: 'the database server name does not resolve',
  EAI_AGAIN: 'the database server name does not resolve',
};

/** PostgreSQL SQLSTATEs of a server that is going away, starting or unreachable (class 08 and 57P0x). */
const SQLSTATE_REASONS: Record<string, string> = {
  '57P01': 'the database server is shutting down (administrator command)',
  '57P02': 'the database server crashed and is restarting',
  '57P03': 'the database server is starting up or shutting down',
  '08000': 'the database connection failed',
  '08001': 'the database server cannot be reached',
  '08003': 'the database connection was lost',
  '08006': 'the database connection was lost',
};

/** Prisma's own codes (engine and driver adapter) for an unreachable server or an exhausted pool. */
const PRISMA_REASONS: Record<string, string> = {
  P1001: 'the database server cannot be reached',
  P1002: 'timed out reaching the database server',
  P1017: 'the database server closed the connection',
  P2024: 'timed out waiting for a database connection',
};

/** Prisma's driver-adapter error kinds (meta.driverAdapterError.cause.kind). */
const ADAPTER_REASONS: Record<string, string> = {
  DatabaseNotReachable: 'the database server cannot be reached',
  ConnectionClosed: 'the database server closed the connection',
  SocketTimeout: 'timed out talking to the database server',
};

/** Messages of node-postgres and pg-pool that carry no code. */
const MESSAGE_REASONS: [RegExp, string][] = [
  [/Connection terminated unexpectedly/i, 'the database connection was lost'],
  [/Connection terminated due to connection timeout/i, 'timed out connecting to the database server'],
  [/timeout exceeded when trying to connect/i, 'timed out waiting for a database connection'],
  [/Client has encountered a connection error and is not queryable/i, 'the database connection was lost'],
  [/Can't reach database server/i, 'the database server cannot be reached'],
  [/the database system is (shutting down|starting up|in recovery mode)/i, 'the database server is restarting'],
  [/terminating connection due to administrator command/i, 'the database server is shutting down'],
];

type Loose = {
  code?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
  errors?: unknown;
};

/** The error, its causes, its driver-adapter error and the members of an AggregateError (node's connect). */
function chainOf(err: unknown): Loose[] {
  const seen: Loose[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.length < 16) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.includes(e as Loose)) continue;
    const l = e as Loose;
    seen.push(l);
    queue.push(l.cause, l.meta?.driverAdapterError);
    if (Array.isArray(l.errors)) queue.push(...l.errors);
  }
  return seen;
}

function reasonOf(e: Loose): string | null {
  for (const code of [e.code, e.originalCode]) {
    if (typeof code !== 'string') continue;
    const r = SOCKET_REASONS[code] ?? SQLSTATE_REASONS[code] ?? PRISMA_REASONS[code];
    if (r) return r;
  }
  if (typeof e.kind === 'string' && ADAPTER_REASONS[e.kind]) return ADAPTER_REASONS[e.kind];
  const message = typeof e.message === 'string' ? e.message : '';
  return MESSAGE_REASONS.find(([re]) => re.test(message))?.[1] ?? null;
}

/**
 * Why `err` means the database cannot be used right now, as a sentence safe to show to clients; null when
 * `err` is any other error (a constraint, bad SQL, a bug).
 */
export function databaseUnavailableReason(err: unknown): string | null {
  for (const e of chainOf(err)) {
    const r = reasonOf(e);
    if (r) return r;
  }
  return null;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  return databaseUnavailableReason(err) !== null;
}

/** Seconds a client should wait before trying again while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Exponential backoff with jitter for reconnect loops: 0.25 s doubling up to `capMs`. */
export function backoffMs(attempt: number, capMs = 5000): number {
  const base = Math.min(capMs, 250 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * Run `fn` again while it fails because the database is unavailable (waiting with backoff), until it
 * succeeds, fails otherwise, `signal` aborts or `deadlineMs` passes (then the last error is thrown).
 */
export async function retryWhileDatabaseDown<T>(
  fn: () => Promise<T>,
  opts: { deadlineMs?: number; signal?: AbortSignal; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<T> {
  const until = Date.now() + (opts.deadlineMs ?? Number.POSITIVE_INFINITY);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || opts.signal?.aborted || Date.now() >= until) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(Math.min(backoffMs(attempt), Math.max(0, until - Date.now())), opts.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
