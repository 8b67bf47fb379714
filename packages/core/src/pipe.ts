import { inputError } from './errors.js';
/**
 * `stream.pipe(source)`: each item of an iterable written with backpressure, and the source
 * released (its iterator's `return()`) as soon as the stream closes, so an LLM response or a
 * database cursor is not read on for a client that has left.
 */

/** What `pipe` takes: an async iterable (LLM tokens, a database cursor) or a plain iterable. */
export type PipeSource<Item> = AsyncIterable<Item> | Iterable<Item>;

/** The source's iterator, and whether its `next()` returns promises. */
export interface OpenedSource<Item> {
  iterator: AsyncIterator<Item> | Iterator<Item>;
  async: boolean;
}

/** What pipe needs of a stream. */
export interface PipeTarget<Message> {
  write(message: Message): Promise<boolean>;
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

const CLOSED = Symbol('closed');

/**
 * Checks the arguments of `pipe` at once, so a wrong call throws where it is made.
 * @throws {TypeError} when `source` is not iterable or `toMessage` not a function.
 */
export function openSource<Item>(source: PipeSource<Item>, toMessage: unknown): OpenedSource<Item> {
  checkPipeArguments(source, toMessage);
  const iterable = source as Partial<AsyncIterable<Item> & Iterable<Item>>;
  const openAsync = iterable[Symbol.asyncIterator];
  if (typeof openAsync === 'function') return { iterator: openAsync.call(iterable), async: true };
  return {
    iterator: (iterable[Symbol.iterator] as () => Iterator<Item>).call(iterable),
    async: false,
  };
}

/**
 * Checks `pipe`'s arguments without starting the source, so that a handle can refuse them before
 * it opens its stream.
 * @throws {TypeError} (`ERR_SSE_INVALID_ARGUMENT`) naming what to pass.
 */
export function checkPipeArguments(source: unknown, toMessage: unknown): void {
  if (toMessage !== undefined && typeof toMessage !== 'function') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: pipe's "toMessage" must be a function from an item to a message, got ${typeof toMessage}; pass one or leave it out when the items are messages.`,
    );
  }
  const iterable = source as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null | undefined;
  if (typeof iterable?.[Symbol.asyncIterator] === 'function') return;
  if (typeof iterable?.[Symbol.iterator] === 'function') return;
  throw inputError(
    'ERR_SSE_INVALID_ARGUMENT',
    `ssekit: pipe takes an async iterable or an iterable (an async generator, an array, an SDK stream), got ${source === null ? 'null' : typeof source}.`,
  );
}

/**
 * Writes every item, waiting for the client after each one the buffer is full for. Resolves
 * `true` when the source ended, `false` when the stream closed first (the source's `return()`
 * called). Rejects with what the source throws (the stream stays open: the caller decides), or
 * with what `toMessage` or the message check throws (the source released first).
 */
export async function pipeInto<Item, Message>(
  target: PipeTarget<Message>,
  { iterator, async }: OpenedSource<Item>,
  toMessage: ((item: Item) => Message) | undefined,
): Promise<boolean> {
  // One reaction on `closed` for the whole pipe, pointed at the item being waited for.
  let interrupt: ((value: typeof CLOSED) => void) | undefined;
  void target.closed.then(() => interrupt?.(CLOSED));
  for (;;) {
    if (target.isClosed) {
      await iterator.return?.();
      return false;
    }
    const next = iterator.next();
    let step: IteratorResult<Item> | typeof CLOSED;
    if (async) {
      step = await new Promise<IteratorResult<Item> | typeof CLOSED>((resolve, reject) => {
        interrupt = resolve;
        Promise.resolve(next).then(resolve, reject);
      });
      interrupt = undefined;
    } else {
      step = next as IteratorResult<Item>;
    }
    if (step === CLOSED) {
      // The source is still producing its next item: an async generator runs `return()` once
      // that item arrives. Nobody waits for it then, so what either settles with is dropped.
      Promise.resolve(next).catch(ignore);
      Promise.resolve(iterator.return?.()).catch(ignore);
      return false;
    }
    if (step.done === true) return true;
    let more: boolean;
    try {
      const message =
        toMessage === undefined ? (step.value as unknown as Message) : toMessage(step.value);
      more = await target.write(message);
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
    if (!more) {
      await iterator.return?.();
      return false;
    }
  }
}

function ignore(): void {}
