/**
 * The node:http server around the express app: how long a client may take to send its headers and its
 * whole request, and problem+json answers for what Node's parser refuses before express sees a request
 * (431 header overflow, 400 bad framing, 408 timeouts). A missing Host is left to the app (src/http/app.ts).
 *
 * Headers: Node's headersTimeout (ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS). The whole request: Node's requestTimeout
 * is one limit for every request of the server, which a 2 GiB upload at an ordinary speed cannot meet, so it is
 * off and guardRequestPace enforces a limit per request that grows with the body received: a request is late
 * once it has taken longer than ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS plus one second per ALIGN_UPLOAD_MIN_RATE_KBPS
 * kilobytes of it received. A body that keeps arriving at that average rate is never cut; a trickle (slow loris)
 * is cut barely later than the base time.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import { HttpProblem, problemBody } from './problem';

type TimeoutSettings = Pick<Config, 'httpRequestTimeoutSeconds' | 'httpHeadersTimeoutSeconds' | 'uploadMinRateKbps'>;

/** How often the request deadlines (Node's and guardRequestPace's) are checked. */
const CHECK_INTERVAL_MS = 1000;

export function httpServerOptions(config: Pick<Config, 'httpHeadersTimeoutSeconds'>): ServerOptions {
  return {
    // Off: guardRequestPace gives each request its own limit (Node's applies one to every request).
    requestTimeout: 0,
    headersTimeout: Math.round(config.httpHeadersTimeoutSeconds * 1000),
    // How often Node checks the headers timeout (its default, 30 s, would let a 2 s timeout run 32 s).
    connectionsCheckingInterval: CHECK_INTERVAL_MS,
    // Node answers an HTTP/1.1 request without Host with a bare 400; the app answers it with problem+json.
    requireHostHeader: false,
  };
}

interface Arrival {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  startMs: number;
  startBytes: number;
  /** When it was answered 408; its socket is closed if still open GRACE_MS later (a client that does not read). */
  cutAtMs?: number;
}

const GRACE_MS = 5000;

/** The 408 of a request body that fell behind: what it managed, and the two settings that would admit it. */
function slowBodyProblem(config: TimeoutSettings, received: number, seconds: number): HttpProblem {
  const rate = received / 1000 / Math.max(seconds, 1e-3);
  return new HttpProblem(
    'request-timeout',
    `the request was not received in time: ${received} bytes in ${seconds.toFixed(0)} s (${rate.toFixed(1)} KB/s) ` +
      `is slower than ALIGN_UPLOAD_MIN_RATE_KBPS=${config.uploadMinRateKbps} KB/s on average after the first ` +
      `ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS=${config.httpRequestTimeoutSeconds} s; the operator may lower ` +
      'ALIGN_UPLOAD_MIN_RATE_KBPS or raise ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS',
  );
}

/** A late request: answered 408 problem+json and closed, or only closed when its answer has begun. */
function cutLate(a: Arrival, problem: HttpProblem): void {
  if (a.res.headersSent) {
    a.socket.destroy();
    return;
  }
  // Node stops tracking a request once its answer is sent: end the body stream when the socket closes, so the
  // route reading it (multer) fails and cleans up instead of waiting forever.
  a.socket.once('close', () => {
    if (!a.req.complete) a.req.destroy();
  });
  const requestId = a.res.getHeader('x-request-id');
  const body = JSON.stringify(problemBody(problem, a.req.url, typeof requestId === 'string' ? requestId : undefined));
  a.res.writeHead(problem.status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  a.res.end(body);
}

/**
 * Each request's own time limit (module comment): ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS plus one second per
 * ALIGN_UPLOAD_MIN_RATE_KBPS kilobytes received, counted on the socket so the body stream is left alone. A
 * request stops being watched once its body has arrived or its socket closed.
 */
export function guardRequestPace(server: Server, config: TimeoutSettings): void {
  const baseMs = config.httpRequestTimeoutSeconds * 1000;
  const bytesPerMs = config.uploadMinRateKbps;
  const arrivals = new Set<Arrival>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    arrivals.add({ req, res, socket: req.socket, startMs: Date.now(), startBytes: req.socket.bytesRead });
  });
  const check = () => {
    const now = Date.now();
    for (const a of arrivals) {
      if (a.req.complete || a.socket.destroyed) arrivals.delete(a);
      else if (a.cutAtMs !== undefined) {
        if (now - a.cutAtMs >= GRACE_MS) a.socket.destroy();
      } else {
        const received = a.socket.bytesRead - a.startBytes;
        if (now - a.startMs <= baseMs + received / bytesPerMs) continue;
        a.cutAtMs = now;
        cutLate(a, slowBodyProblem(config, received, (now - a.startMs) / 1000));
      }
    }
  };
  const timer = setInterval(check, CHECK_INTERVAL_MS).unref();
  server.on('close', () => clearInterval(timer));
}

function clientErrorProblem(code: string | undefined): HttpProblem {
  if (code === 'HPE_HEADER_OVERFLOW')
    return new HttpProblem('header-too-large', 'the request headers exceed the server limit');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new HttpProblem(
      'request-timeout',
      'the request headers were not received in time (ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS; the operator may raise it)',
    );
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW')
    return new HttpProblem('payload-too-large', 'chunk extensions exceed the server limit');
  return new HttpProblem('bad-request', 'malformed HTTP request (request line, headers or body framing)');
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const problem = clientErrorProblem(err.code);
    const body = JSON.stringify(problemBody(problem));
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
