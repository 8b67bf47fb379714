import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, memoryHistory } from '@ssekit/core';
import { sse } from '@ssekit/express';
import express from 'express';
import { vendorModule, withImportMap } from '../browser-client.js';
import { prometheusText } from './metrics.js';
import { startSensors } from './sensors.js';

const TOPIC = 'readings';
// A latest-value topic: one event per sensor, and a client needs only the newest of each.
const CURRENT = 'current';
const SENSORS = ['temperature', 'humidity', 'power'];
const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
// The charting library is served from node_modules: no CDN.
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
// The pages, with the import map of the built @ssekit/client they import (../browser-client.js).
const pageOf = (name) =>
  withImportMap(readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8'));
const page = pageOf('index.html');
const wallboard = pageOf('wallboard.html');

/**
 * The dashboard: simulated sensors publish to a hub topic; `/events` streams them with
 * replay-after-reconnect; `/readings` gives a new page the last minute to draw at once;
 * `/current` streams each sensor's latest value (a latest-value topic), which `/wallboard` shows.
 *
 * The hub and the sensors live as long as the process, independent of any HTTP server, so a
 * listener can stop and start again (a deploy behind a proxy, a network cut) without losing
 * history. Returns the Express app and `close()` for a graceful shutdown.
 */
export function createDashboard({ intervalMs = 250, historySize = 2400, snapshotSize = 240 } = {}) {
  // 2400 readings at 4 a second: a client away for up to 10 minutes misses nothing.
  const hub = createHub({
    history: memoryHistory({ maxEvents: historySize }),
    latestValue: (topic) => topic === CURRENT,
  });
  const recent = [];
  const sensors = startSensors(intervalMs, (reading) => {
    hub.publish(TOPIC, { event: 'reading', data: reading }).then((id) => {
      recent.push({ id, reading });
      if (recent.length > snapshotSize) recent.shift();
    }, console.error);
    for (const sensor of SENSORS) {
      const data = { sensor, value: reading[sensor], seq: reading.seq };
      hub.publish(CURRENT, { event: 'current', data }, { key: sensor }).catch(console.error);
    }
  });

  const app = express();
  app.get(['/', '/index.html'], (_req, res) => {
    res.type('html').send(page);
  });
  // The current values only, from `/current`.
  app.get(['/wallboard', '/wallboard.html'], (_req, res) => {
    res.type('html').send(wallboard);
  });
  app.use(express.static(publicDir));
  app.use('/vendor/uplot', express.static(uplotDir));
  app.use('/vendor', async (req, res, next) => {
    const module = await vendorModule(req.originalUrl.split('?')[0] ?? '');
    if (module === undefined) return next();
    res.type(module.type).send(module.body);
  });

  // The page draws this, then opens the stream from `lastId` (its client's `lastEventId`, sent
  // as `Last-Event-ID`): the hub replays whatever was published in between, so there is no gap
  // between snapshot and live data.
  app.get('/readings', (_req, res) => {
    res.json({ readings: recent.map((entry) => entry.reading), lastId: recent.at(-1)?.id });
  });

  // A client that refuses text/event-stream gets 406 from sse(), a HEAD request the headers.
  app.get('/events', sse({ retry: 1000 }), (_req, res) => {
    hub.subscribe(res.sse, TOPIC);
  });

  // The current value of each sensor, for a wallboard or a phone on a bad network: a new client
  // gets each sensor's latest value at once, one that falls behind gets only the newest values
  // when it reads again (never cut off for being slow), and a reconnect the sensors updated since.
  app.get('/current', sse({ retry: 1000 }), (_req, res) => {
    hub.subscribe(res.sse, CURRENT);
  });

  // For Prometheus: open streams, subscribers, events and bytes delivered, replays, resets.
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(prometheusText(hub.stats()));
  });

  return {
    app,
    hub,
    /** Stops the sensors and closes every stream, asking clients to come back in `retry` ms. */
    async close({ retry = 1000 } = {}) {
      sensors.stop();
      await hub.close({ retry });
    },
  };
}
