/**
 * API keys: `ak_` + 32 random bytes (base64url). Only the sha256 is stored; the key is shown once.
 * Writes always need `Authorization: Bearer <key>`; reads only when ALIGN_READS_REQUIRE_KEY is set.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../db/client';
import { HttpProblem } from './problem';
import type { Access } from './route';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `ak_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

export interface AuthOptions {
  prisma: Db;
  adminKey?: string;
  readsRequireKey: boolean;
}

export function makeAuthorizer(opts: AuthOptions): (access: Access) => RequestHandler {
  const unauthorized = (detail: string) =>
    new HttpProblem('unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer realm="brain-align"' } });
  return (access) => async (req, _res, next) => {
    if (access === 'public' || (access === 'read' && !opts.readsRequireKey)) return next();
    try {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw unauthorized('this endpoint needs Authorization: Bearer <api key>');
      if (opts.adminKey && sameSecret(token, opts.adminKey)) return next();
      const row = await opts.prisma.apiKey.findUnique({ where: { hash: hashApiKey(token) } });
      if (!row || row.revokedAt) throw unauthorized('the API key is unknown or revoked');
      // Best effort bookkeeping; never blocks the request.
      void opts.prisma.apiKey
        .update({ where: { id: row.id }, data: { lastUsedAt: new Date() } })
        .catch(() => undefined);
      next();
    } catch (err) {
      next(err);
    }
  };
}
