/**
 * One Redis command on a connection of its own, spoken in RESP2 over a plain socket. The suites
 * that start their own servers poll them (cluster state, replication offsets, a port coming up)
 * many times a second: a node-redis client built for each of those commands spent most of those
 * files' CPU building its command methods, since its class cache holds one configuration and
 * every port is another.
 */
import { connect } from 'node:net';

/** What a command answered: strings, numbers, `null`, or arrays of them (RESP2). */
type Reply = string | number | null | Reply[];

/** An error reply of the server (`-ERR ...`), as opposed to a connection that failed. */
export class RedisErrorReply extends Error {
  override name = 'RedisErrorReply';
}

/** A parsed reply and where the next one starts, or `undefined` while bytes are missing. */
type Parsed = { value: Reply | Error; next: number } | undefined;

/**
 * Sends `args` to the server at `url` (`redis://[[user]:password@]host[:port][/db]`, after `AUTH`
 * and `SELECT` where the URL names them) and resolves to its reply. Rejects with a
 * `RedisErrorReply` when the server answers with an error (an error inside an array reply too:
 * none of the commands the suites send returns one), and with an `Error` when the connection
 * fails or closes before the reply, or after `timeoutMs` (if given) without one.
 */
export function commandOnce(
  url: string,
  args: readonly string[],
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { protocol, hostname, port, username, password, pathname } = new URL(url);
    if (protocol !== 'redis:') {
      throw new TypeError(`commandOnce speaks plain redis:// only, not ${protocol}//`);
    }
    const prelude: string[][] = [];
    if (password !== '') {
      const user = decodeURIComponent(username);
      prelude.push(['AUTH', ...(user === '' ? [] : [user]), decodeURIComponent(password)]);
    }
    const db = pathname.slice(1);
    if (db !== '') prelude.push(['SELECT', db]);
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    // Named in errors without the password the URL may hold.
    const address = `${hostname}:${Number(port) || 6379}`;

    const socket = connect({ host, port: Number(port) || 6379 });
    let settled = false;
    const finish = (outcome: Reply | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(new Error(`no answer to ${args[0]} on ${address} within ${timeoutMs} ms`)),
            timeoutMs,
          );
    let received = Buffer.alloc(0);
    let parsedUpTo = 0;
    let answered = 0;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const parsed = parseReply(received, parsedUpTo);
        if (parsed === undefined) return;
        parsedUpTo = parsed.next;
        answered += 1;
        if (parsed.value instanceof Error || answered > prelude.length) {
          finish(parsed.value);
          return;
        }
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () =>
      finish(new Error(`${address} closed the connection before answering ${args[0]}`)),
    );
    socket.write([...prelude, args].map(encodeCommand).join(''));
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
      return { value: new RedisErrorReply(line), next: afterLine };
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
