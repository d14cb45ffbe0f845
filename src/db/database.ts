/**
 * Opens the service's database: the configured server, or an embedded one under the data directory,
 * then applies migrations. close() disconnects and stops the embedded server.
 */
import { createPrismaClient, type Db } from './client';
import { startEmbeddedPostgres, type EmbeddedMode, type EmbeddedServer } from './embedded';
import { applyMigrations } from './migrate';

/** How this process reaches its database, as /v1/health reports it. */
export type DatabaseMode = 'external' | 'embedded' | 'embedded (attached)' | 'embedded (restarted orphan)';

const MODE: Record<EmbeddedMode, DatabaseMode> = {
  started: 'embedded',
  attached: 'embedded (attached)',
  'restarted-orphan': 'embedded (restarted orphan)',
};

export interface Database {
  url: string;
  prisma: Db;
  embedded: boolean;
  mode: DatabaseMode;
  appliedMigrations: string[];
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  pgDir: string;
  pgPort?: number;
  log?: (line: string) => void;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  let server: EmbeddedServer | null = null;
  let url = opts.databaseUrl;
  if (!url) {
    server = await startEmbeddedPostgres({ dir: opts.pgDir, port: opts.pgPort, log: opts.log });
    url = server.url;
  }
  try {
    const appliedMigrations = await applyMigrations(url);
    const prisma = createPrismaClient(url);
    return {
      url,
      prisma,
      embedded: server !== null,
      mode: server ? MODE[server.mode] : 'external',
      appliedMigrations,
      async close() {
        await prisma.$disconnect();
        await server?.stop();
      },
    };
  } catch (err) {
    await server?.stop();
    throw err;
  }
}
