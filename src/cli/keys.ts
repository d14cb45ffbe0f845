/** `cli keys create|list|revoke`: API keys for write endpoints (stored hashed, shown once). */
import type { Db } from '../db/client';
import { generateApiKey } from '../http/auth';

export async function createKey(prisma: Db, name: string): Promise<{ id: string; key: string; prefix: string }> {
  const { key, prefix, hash } = generateApiKey();
  const row = await prisma.apiKey.create({ data: { name, prefix, hash } });
  return { id: row.id, key, prefix };
}

export async function listKeys(prisma: Db) {
  return prisma.apiKey.findMany({
    orderBy: { createdAt: 'asc' },
    select: { id: true, name: true, prefix: true, createdAt: true, revokedAt: true, lastUsedAt: true },
  });
}

/** Revoke by id or by the key's prefix; returns how many keys were revoked. */
export async function revokeKey(prisma: Db, idOrPrefix: string): Promise<number> {
  const isUuid = /^[0-9a-f-]{36}$/i.test(idOrPrefix);
  const r = await prisma.apiKey.updateMany({
    where: { revokedAt: null, ...(isUuid ? { id: idOrPrefix } : { prefix: idOrPrefix }) },
    data: { revokedAt: new Date() },
  });
  return r.count;
}
