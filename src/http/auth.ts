/**
 * Writes always need `Authorization: Bearer <key>`; reads only when ALIGN_READS_REQUIRE_KEY is set. The keys
 * themselves (stored hashed) are services/api-keys.ts's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../db/client';
import { isActiveApiKey } from '../services/api-keys';
import { HttpProblem } from './problem';
import type { Access } from './route';

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
      if (!(await isActiveApiKey(opts.prisma, token))) throw unauthorized('the API key is unknown or revoked');
      next();
    } catch (err) {
      next(err);
    }
  };
}
