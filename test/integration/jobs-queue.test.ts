/** The pg-boss queue with our Job rows: progress, retries, failure hooks and cancellation, on real Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/compute/backend';
import { loadConfig } from '../../src/config';
import { startJobQueue, type JobQueue } from '../../src/queue/queue';
import type { JobHandler } from '../../src/queue/types';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
let queue: JobQueue;
const events: string[] = [];
let failuresLeft = 0;

const handler: JobHandler<{ mode: string; steps?: number }> = {
  async run(data, ctx) {
    if (data.mode === 'fail') {
      events.push(`attempt ${ctx.attempt}`);
      throw new Error('deliberate failure');
    }
    if (data.mode === 'flaky' && failuresLeft-- > 0) throw new Error('transient');
    const steps = data.steps ?? 3;
    for (let i = 1; i <= steps; i++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.progress({ stage: 'working', done: i, total: steps });
      await new Promise((r) => setTimeout(r, data.mode === 'slow' ? 200 : 10));
    }
  },
  async onFailed(data, error) {
    events.push(`failed ${data.mode}: ${error}`);
  },
  async onCancelled(data) {
    events.push(`cancelled ${data.mode}`);
  },
};

async function waitForState(id: string, states: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id } });
    if (states.includes(row.state)) return row;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${row.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: db.url,
    ALIGN_JOB_RETRIES: '1',
    ALIGN_JOB_POLL_SECONDS: '0.5',
    LOG_LEVEL: 'silent',
  });
  queue = await startJobQueue({
    databaseUrl: db.url,
    prisma: db.prisma,
    config,
    logger: createLogger('silent'),
    backend: { name: 'cpu', tfBackend: 'cpu', tfjsVersion: 'test', skipped: [] } satisfies BackendInfo,
    handlers: { toy: handler as JobHandler<never> },
    workers: 1,
  });
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

describe('job queue', () => {
  it('runs a job to completion and records its progress', async () => {
    const id = await queue.enqueue('toy', { mode: 'ok', steps: 4 });
    const row = await waitForState(id, ['completed', 'failed']);
    expect(row.state).toBe('completed');
    expect(row.progress).toMatchObject({ stage: 'working', done: 4, total: 4 });
    expect(row.finishedAt).toBeInstanceOf(Date);
  });

  it('retries a failing attempt and succeeds', async () => {
    failuresLeft = 1;
    const id = await queue.enqueue('toy', { mode: 'flaky' });
    const row = await waitForState(id, ['completed', 'failed']);
    expect(row.state).toBe('completed');
    expect(row.error).toBeNull();
  });

  it('fails after the retry limit and calls the failure hook once', async () => {
    const id = await queue.enqueue('toy', { mode: 'fail' });
    const row = await waitForState(id, ['failed']);
    expect(row.error).toBe('deliberate failure');
    expect(events.filter((e) => e.startsWith('attempt'))).toEqual(['attempt 1', 'attempt 2']);
    expect(events.filter((e) => e.startsWith('failed'))).toEqual(['failed fail: deliberate failure']);
  });

  it('cancels a running job', async () => {
    const id = await queue.enqueue('toy', { mode: 'slow', steps: 100 });
    await waitForState(id, ['running']);
    await queue.cancel(id);
    const row = await waitForState(id, ['cancelled', 'completed']);
    expect(row.state).toBe('cancelled');
    expect((row.progress as { done: number }).done).toBeLessThan(100);
    expect(events).toContain('cancelled slow');
  });

  it('cancels a queued job before it starts', async () => {
    // Occupy the single worker, then queue another and cancel it while it waits.
    const busy = await queue.enqueue('toy', { mode: 'slow', steps: 15 });
    await waitForState(busy, ['running']);
    const waiting = await queue.enqueue('toy', { mode: 'queued-one', steps: 1 });
    expect(await queue.cancel(waiting)).toBe('cancelled');
    await waitForState(busy, ['completed']);
    await new Promise((r) => setTimeout(r, 1500));
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: waiting } });
    expect(row.state).toBe('cancelled');
    expect(events).toContain('cancelled queued-one');
  });
});
