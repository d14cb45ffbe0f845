/**
 * A database that is stopped, restarting or unreachable answers 503 /problems/database-unavailable with
 * Retry-After, never 500, from whichever layer the error comes (node sockets, node-postgres, pg-pool, Prisma's
 * pg adapter); other database errors keep their mapping. The real client errors come from a closed port.
 */
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUnavailableReason } from '../../src/db/availability';
import { createPrismaClient, Prisma } from '../../src/db/client';
import { toHttpProblem } from '../../src/http/error-mapping';
import { freePort } from '../helpers/ports';

const known = (code: string, message = 'x') =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: 'test' });

/** node-postgres's error for a server message (what it raises on SQLSTATE 57P01 and the like). */
function serverError(code: string, message: string): Error {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.code = code;
  e.severity = 'FATAL';
  return e;
}

function expectUnavailable(err: unknown) {
  const p = toHttpProblem(err);
  expect(p.status).toBe(503);
  expect(p.kind).toBe('database-unavailable');
  expect(Number(p.headers?.['Retry-After'])).toBeGreaterThan(0);
  expect(p.message).toMatch(/^the database is unavailable: .+; try again shortly$/);
  // No addresses, ports or file paths reach a client.
  expect(p.message).not.toMatch(/127\.0\.0\.1|\/|:\d+/);
  return p;
}

describe('database outages map to 503 with Retry-After', () => {
  let closedUrl = '';
  beforeAll(async () => {
    closedUrl = `postgresql://u:p@127.0.0.1:${await freePort()}/d`;
  });

  it('node-postgres ECONNREFUSED (what pg-boss raised when the workers died)', async () => {
    const c = new pg.Client({ connectionString: closedUrl });
    const err = await c.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(expectUnavailable(err).message).toMatch(/refused the connection/);
  });

  it("Prisma's pg adapter: P1001 from a model query and P2010 from a raw query", async () => {
    const prisma = createPrismaClient(closedUrl, 1);
    try {
      const model = await prisma.job.findMany().catch((e: unknown) => e);
      expect((model as { code?: string }).code).toBe('P1001');
      expectUnavailable(model);
      const raw = await prisma.$queryRaw`SELECT 1`.catch((e: unknown) => e);
      // P2010 ("raw query failed") carries the adapter's DatabaseNotReachable in its meta.
      expect((raw as { code?: string }).code).toBe('P2010');
      expectUnavailable(raw);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('server shutdown and start-up (57P01, 57P03), connection failures (08006), Prisma P1017 and P2024', () => {
    expect(
      expectUnavailable(serverError('57P01', 'terminating connection due to administrator command')).message,
    ).toMatch(/shutting down/);
    expectUnavailable(serverError('57P03', 'the database system is starting up'));
    expectUnavailable(serverError('08006', 'connection failure'));
    expectUnavailable(known('P1017', 'Server has closed the connection.'));
    expectUnavailable(known('P2024', 'Timed out fetching a new connection from the connection pool.'));
    // Prisma's adapter wrapping a server error in meta.driverAdapterError.cause
    const wrapped = known('P2010');
    (wrapped as { meta?: unknown }).meta = {
      driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', originalCode: '57P01' } },
    };
    expectUnavailable(wrapped);
  });

  it("pg-pool's connect timeout, a lost connection and node's AggregateError", () => {
    expectUnavailable(new Error('timeout exceeded when trying to connect'));
    expectUnavailable(new Error('Connection terminated unexpectedly'));
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expectUnavailable(new AggregateError([refused], ''));
    expectUnavailable(new Error('wrapped', { cause: refused }));
  });
});

describe('other errors keep their mapping', () => {
  it('unique and missing rows, a constraint violation, a bug', () => {
    expect(toHttpProblem(known('P2002')).status).toBe(409);
    expect(toHttpProblem(known('P2025')).status).toBe(404);
    expect(databaseUnavailableReason(serverError('23505', 'duplicate key value'))).toBeNull();
    expect(databaseUnavailableReason(new TypeError('x is undefined'))).toBeNull();
    const bug = toHttpProblem(new Error('boom'));
    expect(bug.status).toBe(500);
    expect(bug.headers?.['Retry-After']).toBeUndefined();
  });
});

describe('a server that accepts and then drops the connection', () => {
  let server: ReturnType<typeof createServer>;
  let url = '';
  beforeAll(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `postgresql://u:p@127.0.0.1:${(server.address() as { port: number }).port}/d`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('maps to 503', async () => {
    const c = new pg.Client({ connectionString: url });
    const err = await c.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expectUnavailable(err);
  });
});
