/**
 * Command line for batch scripts and the demo: `npm run cli -- <command>`.
 *   keys create <name> [--quiet]   create an API key (printed once; --quiet: only the key, for scripts)
 *   keys list              list keys (prefixes only)
 *   keys revoke <id|prefix>
 *   openapi                print the OpenAPI document (YAML)
 *   study <study.json>     submit a study to a running service and print its tables
 *   models register <model.json>   register a model and its layers with a running service (uploads, progress)
 * Uses the same configuration as the service (DATABASE_URL, or the embedded server under ALIGN_DATA_DIR).
 */
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/database';
import { openApiYaml } from '../http/openapi';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys';

const USAGE = `usage: npm run cli -- <command>
  keys create <name> [--quiet]  create an API key (shown once, stored hashed; --quiet prints only the key)
  keys list                 list API keys
  keys revoke <id|prefix>   revoke a key
  openapi                   print the OpenAPI document
  study <study.json>        submit a study (ALIGN_URL, ALIGN_API_KEY) and print its tables
  models register <model.json>  register a model and its layers (ALIGN_URL, ALIGN_API_KEY), uploading with progress
  demo                      run the end-to-end demo (npm run demo)
  toy                       run the toy superposition experiment (npm run toy)`;

async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, pgDir: config.pgDir, pgPort: config.pgPort });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, sub, arg] = argv;
  switch (command) {
    case 'keys': {
      const name = argv.slice(2).find((a) => !a.startsWith('--'));
      if (sub === 'create' && name) {
        const k = await withDatabase((db) => createApiKey(db.prisma, name));
        if (argv.includes('--quiet')) console.log(k.key);
        else console.log(`created key ${k.id} (${k.prefix}...). Store it now; it is not shown again:\n${k.key}`);
        return 0;
      }
      if (sub === 'list') {
        const rows = await withDatabase((db) => listApiKeys(db.prisma));
        for (const r of rows) console.log(`${r.id}  ${r.prefix}...  ${r.name}  ${r.revokedAt ? 'revoked' : 'active'}`);
        return 0;
      }
      if (sub === 'revoke' && arg) {
        const n = await withDatabase((db) => revokeApiKey(db.prisma, arg));
        console.log(n > 0 ? `revoked ${n} key(s)` : 'no active key matches');
        return n > 0 ? 0 : 1;
      }
      break;
    }
    case 'openapi':
      process.stdout.write(openApiYaml());
      return 0;
    case 'demo': {
      const { runDemo } = await import('./demo');
      return runDemo(argv.slice(1));
    }
    case 'study': {
      const { runStudyCli } = await import('./study');
      return runStudyCli(argv.slice(1));
    }
    case 'models': {
      const { runModelsCli } = await import('./models');
      return runModelsCli(argv.slice(1));
    }
    case 'toy': {
      const { runToyCli } = await import('./toy');
      return runToyCli(argv.slice(1));
    }
  }
  console.error(USAGE);
  return 2;
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(
        err instanceof ConfigError ? err.message : `error: ${err instanceof Error ? err.message : String(err)}`,
      );
      process.exit(1);
    },
  );
}
