/** Prisma client over node-postgres (Prisma 7 driver adapter). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/** How long a query waits for a connection to open before failing (then HTTP answers 503, jobs wait and retry). */
const CONNECT_TIMEOUT_MS = 10_000;

export function createPrismaClient(databaseUrl: string, poolSize = 10): Db {
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
    // An idle pooled connection closed by a server restart is dropped by the pool; the next query opens another.
    { onPoolError: () => undefined },
  );
  return new PrismaClient({ adapter });
}

export { Prisma } from '../generated/prisma/client';
