/**
 * A client in its own process, reading an event stream at full speed with eventsource-parser,
 * whatever the test's process is busy with: `node reader-process.mjs <url>`. Prints one line of
 * JSON when the stream ends: the name (`message` when none) and the data of each event.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const events = [];
const parser = createParser({
  onEvent: ({ event, data }) => events.push({ event: event ?? 'message', data }),
});
let reported = false;
const report = () => {
  if (reported) return;
  reported = true;
  // The process ends once this is written: no exit call to cut a long line short.
  process.stdout.write(`${JSON.stringify(events)}\n`);
};
http
  .get(process.argv[2], { headers: { accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (text) => parser.feed(text));
    res.on('close', report);
  })
  .on('error', report);
