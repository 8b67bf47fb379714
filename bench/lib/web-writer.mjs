/**
 * The alternatives to `openSseStream` for moving an SseStream's bytes to a Node response
 * (issue 2): each writes the same status and headers, then drains `stream.readable` its own way.
 */
import { Readable, Writable } from 'node:stream';
import { createSseStream } from '@ssekit/core/adapter';

const noop = () => {};

/** Opens a stream on `res` and hands its readable to `pump(readable, res)`. */
export function webWriter(pump) {
  return (_req, res) => {
    const stream = createSseStream({ heartbeat: false });
    stream.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.writeHead(200);
    res.flushHeaders();
    res.on('close', () => stream.close());
    pump(stream.readable, res);
    return stream;
  };
}

/** (b) A reader loop: read a chunk, write it, wait for 'drain' when `write` says so. */
export async function readerLoop(readable, res) {
  const reader = readable.getReader();
  res.on('close', () => reader.cancel().catch(noop));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/** (c) `Readable.fromWeb(readable).pipe(res)`. */
export function fromWebPipe(readable, res) {
  Readable.fromWeb(readable).pipe(res);
}

/** (d) `readable.pipeTo(Writable.toWeb(res))`. */
export function pipeToWeb(readable, res) {
  readable.pipeTo(Writable.toWeb(res)).catch(noop);
}
