/**
 * Server-sent events by polling: `progress` whenever the polled value changes, `end` at a terminal value,
 * keep-alive comments in between. Jobs and studies stream this way (state lives in PostgreSQL, so any
 * process can serve the stream).
 */
import type { Request, Response } from 'express';

const SSE_POLL_MS = 300;
const SSE_KEEPALIVE_MS = 15_000;

/** @param poll the current value and whether it is final; null ends the stream (the thing is gone). */
export async function streamPolled(
  req: Request,
  res: Response,
  poll: () => Promise<{ body: unknown; terminal: boolean } | null>,
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let last = '';
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  let lastSent = Date.now();
  while (!closed) {
    const now = await poll();
    if (!now) break;
    const text = JSON.stringify(now.body);
    if (text !== last) {
      last = text;
      res.write(`event: ${now.terminal ? 'end' : 'progress'}\nid: ${Date.now()}\ndata: ${text}\n\n`);
      lastSent = Date.now();
      if (now.terminal) break;
    } else if (Date.now() - lastSent > SSE_KEEPALIVE_MS) {
      res.write(': keep-alive\n\n');
      lastSent = Date.now();
    }
    await new Promise((r) => setTimeout(r, SSE_POLL_MS));
  }
  res.end();
}
