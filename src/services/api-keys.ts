/**
 * API keys: `ak_` + 32 random bytes (base64url). Only the sha256 is stored; the key is shown once. Created,
 * listed and revoked from the command line; checked on every write (and on reads when configured).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `ak_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

/** Whether `key` is a stored key that was not revoked; notes its use (best effort, never awaited). */
export async function isActiveApiKey(prisma: Db, key: string): Promise<boolean> {
  const row = await prisma.apiKey.findUnique({ where: { hash: hashApiKey(key) } });
  if (!row || row.revokedAt) return false;
  void prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  return true;
}

export async function createApiKey(prisma: Db, name: string): Promise<{ id: string; key: string; prefix: string }> {
  const { key, prefix, hash } = generateApiKey();
  const row = await prisma.apiKey.create({ data: { name, prefix, hash } });
  return { id: row.id, key, prefix };
}

export async function listApiKeys(prisma: Db) {
  return prisma.apiKey.findMany({
    orderBy: { createdAt: 'asc' },
    select: { id: true, name: true, prefix: true, createdAt: true, revokedAt: true, lastUsedAt: true },
  });
}

/** Revoke by id or by the key's prefix; returns how many keys were revoked. */
export async function revokeApiKey(prisma: Db, idOrPrefix: string): Promise<number> {
  const isUuid = /^[0-9a-f-]{36}$/i.test(idOrPrefix);
  const r = await prisma.apiKey.updateMany({
    where: { revokedAt: null, ...(isUuid ? { id: idOrPrefix } : { prefix: idOrPrefix }) },
    data: { revokedAt: new Date() },
  });
  return r.count;
}
