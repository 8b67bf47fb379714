/**
 * The built @ssekit/client in another runtime (Node, Bun or Deno): follows the stream at the URL
 * given as the first argument until the server stops it, printing one JSON line per thing seen
 * (an event, an error reported) and a last line with how it ended. Plain JavaScript that all
 * three runtimes run as it is; it leaves the process when the client is closed, without an exit
 * call, so a timer or a request left running shows as a process that does not end.
 */
import { createClient } from '../../../packages/client/dist/index.js';

const url = globalThis.Deno?.args[0] ?? globalThis.process.argv[2];
const print = (line) => console.log(JSON.stringify(line));

const client = createClient(url, {
  retryDelay: 10,
  onError: (error) => print({ error: error.code }),
});
for await (const { event, data, id } of client) print({ event, data, id });
print({ state: client.state, error: client.error?.code ?? null, lastEventId: client.lastEventId });
