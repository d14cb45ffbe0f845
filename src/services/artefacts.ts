/**
 * The artefact store as the services use it (src/store/artefact-store.ts): files a job reads other than the
 * dataset roots (uploaded layer files, SAE weights), named in rows by key and resolved against this process's
 * own ALIGN_STORE_DIR. Also the start-up step that moves files written before the store into it.
 */
import { rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { isInside, realpathLenient, resolveDataPath } from '../nsd/paths';
import { ArtefactStore, isStoreKey } from '../store/artefact-store';

export { isStoreKey };

export function artefactStore(config: Pick<Config, 'storeDir'>): ArtefactStore {
  return new ArtefactStore(config.storeDir);
}

/**
 * A layer's file as this process reads it: a store key is resolved against this process's store and its hash
 * checked (once per process: activations may be gigabytes); any other reference is a path inside the data roots,
 * checked against them again (symlinks resolved) at every open.
 */
export function layerFile(ref: string, config: Pick<Config, 'dataRoots' | 'storeDir'>, field: string): Promise<string> {
  if (isStoreKey(ref)) return artefactStore(config).verifiedFile(ref, field);
  return Promise.resolve(resolveDataPath(ref, '.', config.dataRoots, field));
}

/** An SAE's weights from the store, checked against their hash at every read. */
export function readSaeWeights(config: Pick<Config, 'storeDir'>, key: string): Promise<Uint8Array> {
  return artefactStore(config).readBytes(key, 'sae.weights');
}

/** A legacy file of this process's private folders (absolute path) that still exists; null otherwise. */
function legacyFile(ref: string | null, dir: string): string | null {
  if (!ref || isStoreKey(ref) || !path.isAbsolute(ref)) return null;
  return isInside(ref, dir) || isInside(realpathLenient(ref), realpathLenient(dir)) ? ref : null;
}

async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
  await rmdir(path.dirname(file)).catch(() => undefined); // an upload's folder, once empty
}

/** Put a legacy file into the store; null when it is gone (another process with this data folder moved it). */
async function storeLegacy(store: ArtefactStore, file: string): Promise<string | null> {
  const ext = path.extname(file).toLowerCase();
  return store.putFile(file, /^\.[a-z0-9]{1,16}$/.test(ext) ? ext : '', { keep: true }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  });
}

async function moveLegacyLayers(prisma: Db, config: Pick<Config, 'storeDir' | 'privateDirs'>, log: Logger) {
  const store = artefactStore(config);
  const dir = config.privateDirs.uploads;
  let moved = 0;
  const rows = await prisma.layer.findMany({
    where: { OR: [{ activationsPath: { startsWith: '/' } }, { stimulusIdsPath: { startsWith: '/' } }] },
    select: { id: true, activationsPath: true, stimulusIdsPath: true },
  });
  for (const row of rows) {
    for (const column of ['activationsPath', 'stimulusIdsPath'] as const) {
      const file = legacyFile(row[column], dir);
      if (!file) continue;
      const key = await storeLegacy(store, file);
      if (!key) continue;
      // Only the row as read: a concurrent starter on the same data folder rewrites it once.
      await prisma.layer.updateMany({ where: { id: row.id, [column]: row[column] }, data: { [column]: key } });
      await removeQuietly(file);
      moved++;
      log.info({ layerId: row.id, column, key }, 'moved an uploaded layer file into the artefact store');
    }
  }
  return moved;
}

async function moveLegacySaes(prisma: Db, config: Pick<Config, 'storeDir' | 'privateDirs'>, log: Logger) {
  const store = artefactStore(config);
  let moved = 0;
  const rows = await prisma.sae.findMany({
    where: { weightsPath: { startsWith: '/' } },
    select: { id: true, weightsPath: true },
  });
  for (const row of rows) {
    const file = legacyFile(row.weightsPath, config.privateDirs.saes);
    const key = file ? await storeLegacy(store, file) : null;
    if (!file || !key) {
      log.warn({ saeId: row.id }, 'SAE weights named by a path this process cannot see: left for its owner to move');
      continue;
    }
    await prisma.sae.updateMany({ where: { id: row.id, weightsPath: row.weightsPath }, data: { weightsPath: key } });
    await removeQuietly(file);
    moved++;
  }
  return moved;
}

/**
 * Start-up step for rows written before the artefact store. The columns keep their names (Layer.activationsPath
 * and stimulusIdsPath: a data-root path or a store key; Sae.weightsPath: a store key), so no SQL migration is
 * needed, and none could do this: SQL cannot hash files. Uploaded layer files and SAE weights that rows still
 * name by absolute path inside THIS process's ALIGN_DATA_DIR/uploads and /saes are copied into the store, the rows
 * rewritten to their keys, and the old files removed. Rows naming files this process cannot see are left for the
 * process whose data folder holds them (until then, reading them fails as a missing artefact). Idempotent, and
 * safe when several processes on one data folder start at once.
 */
export async function moveLegacyArtefacts(
  prisma: Db,
  config: Pick<Config, 'storeDir' | 'privateDirs'>,
  log: Logger,
): Promise<{ layerFiles: number; saes: number }> {
  const layerFiles = await moveLegacyLayers(prisma, config, log);
  const saes = await moveLegacySaes(prisma, config, log);
  if (layerFiles || saes) log.info({ layerFiles, saes }, 'moved legacy files into the artefact store');
  return { layerFiles, saes };
}
