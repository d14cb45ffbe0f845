/**
 * Raw HTTP/1.1 over a TCP socket, for what fetch will not send: a Content-Length the body does not
 * have, malformed framing, slow bodies, oversized headers. Resolves with what the server wrote before
 * it closed the connection (or before `waitMs`), parsed into status, headers and body.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connect until the response was complete (or the wait ended). */
  elapsedMs: number;
  closed: boolean;
}

export interface RawOptions {
  /** Written after `head`, one chunk per `chunkDelayMs`. */
  chunks?: (string | Buffer)[];
  chunkDelayMs?: number;
  /** Give up waiting for the server to close after this long. */
  waitMs?: number;
}

function parse(text: string): Pick<RawResponse, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = end < 0 ? '' : text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, nl), 16);
      if (!(size > 0)) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    body = out;
  } else if (headers['content-length'] !== undefined) {
    body = Buffer.from(body).subarray(0, Number(headers['content-length'])).toString();
  }
  return { status, headers, body };
}

/** Send `head` (request line + headers, CRLF-terminated, blank line included) then `chunks`. */
export function rawRequest(port: number, head: string | Buffer, opts: RawOptions = {}): Promise<RawResponse> {
  const waitMs = opts.waitMs ?? 5000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ ...parse(received.toString('latin1')), elapsedMs: performance.now() - t0, closed });
    };
    // A complete response with a Content-Length is enough; we need not wait for the close.
    const complete = () => {
      const p = parse(received.toString('latin1'));
      const cl = p.headers['content-length'];
      return p.status > 0 && cl !== undefined && Buffer.byteLength(p.body, 'latin1') >= Number(cl);
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (complete()) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(true) : reject(err),
    );
    socket.on('connect', () => {
      socket.write(head);
      (opts.chunks ?? []).forEach((c, i) => {
        timers.push(setTimeout(() => !socket.destroyed && socket.write(c), (i + 1) * (opts.chunkDelayMs ?? 0)));
      });
    });
    timers.push(setTimeout(() => finish(false), waitMs));
  });
}
