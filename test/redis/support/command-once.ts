/**
 * One Redis command on a connection of its own, spoken in RESP2 over a plain socket. The suites
 * that start their own servers poll them (cluster state, replication offsets, a port coming up)
 * many times a second: a node-redis client built for each of those commands spent most of those
 * files' CPU building its command methods, since its class cache holds one configuration and
 * every port is another.
 */
import { connect } from 'node:net';

/** What a command answered: strings, numbers, `null`, or arrays of them (RESP2). */
export type Reply = string | number | null | Reply[];

/** A parsed reply and where the next one starts, or `undefined` while bytes are missing. */
type Parsed = { value: Reply | Error; next: number } | undefined;

/**
 * Sends `args` to the server at `url` (`redis://host:port`) and resolves to its reply; rejects
 * with the server's error reply, when the connection fails or closes before the reply, and after
 * `timeoutMs` (if given) without one.
 */
export function commandOnce(
  url: string,
  args: readonly string[],
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(new Error(`no answer to ${args[0]} on ${url} within ${timeoutMs} ms`)),
            timeoutMs,
          );
    const finish = (outcome: Reply | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseReply(received, 0);
      if (parsed !== undefined) finish(parsed.value);
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () =>
      finish(new Error(`${url} closed the connection before answering ${args[0]}`)),
    );
    socket.write(encodeCommand(args));
  });
}

function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

function parseReply(buffer: Buffer, start: number): Parsed {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (String.fromCharCode(buffer[start] ?? 0)) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new Error(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length === -1) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return {
        value: buffer.toString('utf8', afterLine, afterLine + length),
        next: afterLine + length + 2,
      };
    }
    case '*': {
      const count = Number(line);
      if (count === -1) return { value: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      return { value: new Error(`not a RESP2 reply: ${JSON.stringify(line)}`), next: afterLine };
  }
}
