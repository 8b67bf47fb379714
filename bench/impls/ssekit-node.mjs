/** ssekit through `@ssekit/core/node` `openEventStream`: writes straight to the response. */
import { openEventStream } from '@ssekit/core/node';
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';

export const start = () =>
  ssekitNodeApp((req, res) => openEventStream(req, res, { heartbeat: false }));
