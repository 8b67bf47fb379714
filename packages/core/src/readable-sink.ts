import type { Sink, SinkSource } from './sink.js';

/**
 * The web sink: a pull-based ReadableStream. Nothing is handed over before the reader asks, so
 * the stream's own queue is the only buffer, and every write made between two reads leaves as
 * one chunk.
 */
export function createReadableSink(
  source: SinkSource,
  primeHeaders = false,
): {
  readable: ReadableStream<Uint8Array>;
  sink: Sink;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let readerWaiting = false;
  let ending = false;
  let done = false;

  const deliver = (): boolean => {
    const chunks = source.take();
    if (chunks === undefined) return false;
    controller.enqueue(chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks));
    source.drained();
    return true;
  };

  const finish = () => {
    if (done) return;
    done = true;
    controller.close();
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      start(started) {
        controller = started;
        // Node servers (srvx, h3/node) send the status and headers with the first chunk: an
        // empty one lets the client's `onopen` fire before the first event. It adds no bytes.
        if (primeHeaders) started.enqueue(new Uint8Array(0));
      },
      pull() {
        if (done) return;
        if (deliver()) return;
        if (ending) finish();
        else readerWaiting = true;
      },
      cancel(reason) {
        done = true;
        source.disconnected(reason);
      },
    },
    { highWaterMark: 0 },
  );

  const sink: Sink = {
    get bufferedBytes() {
      return 0;
    },
    wake() {
      if (!readerWaiting || done) return;
      readerWaiting = false;
      deliver();
    },
    end() {
      ending = true;
      if (readerWaiting) {
        readerWaiting = false;
        if (!deliver()) finish();
      }
    },
    destroy(reason) {
      readerWaiting = false;
      if (reason === undefined || done) {
        finish();
        return;
      }
      // An errored body makes the runtime abort the connection at once; a closed one would
      // have it wait to flush what it already holds to a client that does not read.
      done = true;
      controller.error(reason);
    },
  };
  return { readable, sink };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}
