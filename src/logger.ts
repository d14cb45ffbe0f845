import type { DestinationStream } from 'pino';
import { pino, type Logger } from 'pino';

/** Query parameters whose values are secrets wherever they appear (clients put keys in URLs too). */
const SECRET_PARAM = /^(key|api[-_]?key|apikey|token|access[-_]?token|secret|password|auth(orization)?)$/i;

/** A URL with the values of secret query parameters replaced; other parameters kept for debugging. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq < 0 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/**
 * Keys never reach a log line (issue 10 item 11): credential headers are censored, and so are secret
 * query parameters in the logged URL and parsed query. Applies to every child logger (pino-http's too).
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.url',
  'req.query.*',
];

function censor(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1];
  if (path[0] === 'req' && last === 'url') return typeof value === 'string' ? redactUrl(value) : value;
  if (path[0] === 'req' && path[1] === 'query') return SECRET_PARAM.test(last) ? '[redacted]' : value;
  return '[redacted]';
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'brain-align' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor },
  };
  return destination ? pino(options, destination) : pino(options);
}
