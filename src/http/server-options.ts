/**
 * The node:http server around the express app: how long a client may take to send its headers and its
 * whole request, and problem+json answers for what Node's parser refuses before express sees a request
 * (431 header overflow, 400 bad framing, 408 timeouts). A missing Host is left to the app (src/http/app.ts).
 */
import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import { HttpProblem, problemBody } from './problem';

export function httpServerOptions(
  config: Pick<Config, 'httpRequestTimeoutSeconds' | 'httpHeadersTimeoutSeconds'>,
): ServerOptions {
  const requestTimeout = Math.round(config.httpRequestTimeoutSeconds * 1000);
  return {
    requestTimeout,
    // Node requires headersTimeout <= requestTimeout.
    headersTimeout: Math.min(Math.round(config.httpHeadersTimeoutSeconds * 1000), requestTimeout),
    // How often Node checks those timeouts (its default, 30 s, would let a 2 s timeout run 32 s).
    connectionsCheckingInterval: 1000,
    // Node answers an HTTP/1.1 request without Host with a bare 400; the app answers it with problem+json.
    requireHostHeader: false,
  };
}

function clientErrorProblem(code: string | undefined): HttpProblem {
  if (code === 'HPE_HEADER_OVERFLOW')
    return new HttpProblem('header-too-large', 'the request headers exceed the server limit');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new HttpProblem('request-timeout', 'the request was not received in time');
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
