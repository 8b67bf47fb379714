/** The hub through `openSseStream`: subscribers on one topic, broadcasts by `hub.publish`. */
import { openSseStream } from '@ssekit/core/node';
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';

export const start = () =>
  ssekitNodeApp((req, res) => openSseStream(req, res, { heartbeat: false }), { hub: true });
