/**
 * Processes that start together (an API and its workers, or many workers after a deploy) all start pg-boss and
 * create its queues on one fresh database. Unserialised, two of them creating queues at once deadlocked and
 * PostgreSQL aborted one, which ended that process (seen in CI: "failed to start: deadlock detected").
 */
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/compute/backend';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { type JobQueue, startJobQueue } from '../../src/queue/queue';
import { JOB_KINDS } from '../../src/queue/types';
import { createTestDatabase } from '../helpers/db';

const PROCESSES = 4;
const ROUNDS = 4;
const backend: BackendInfo = { name: 'cpu', tfBackend: 'cpu', tfjsVersion: 'test', skipped: [] };

describe('job queues started at once on a fresh database', () => {
  it(`${PROCESSES} queues start together, ${ROUNDS} times, and all of pg-boss's queues exist once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const db = await createTestDatabase();
      const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
      const started = await Promise.allSettled(
        Array.from({ length: PROCESSES }, () =>
          startJobQueue({
            databaseUrl: db.url,
            prisma: db.prisma,
            config,
            logger: createLogger('silent'),
            backend,
            handlers: {},
            workers: 0,
          }),
        ),
      );
      const queues = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const errors = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      const rows = await db.prisma.$queryRaw<{ name: string }[]>`SELECT name FROM pgboss.queue ORDER BY name`;
      await Promise.all(queues.map((q: JobQueue) => q.stop()));
      await db.drop();
      expect(errors, `round ${round}`).toEqual([]);
      expect(rows.map((r) => r.name)).toEqual([...JOB_KINDS].sort());
    }
  }, 180_000);
});
