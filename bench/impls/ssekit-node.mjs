/** ssekit through `@ssekit/core/node` `openSseStream`: writes straight to the response. */
import { openSseStream } from '@ssekit/core/node';
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';

export const start = () =>
  ssekitNodeApp((req, res) => openSseStream(req, res, { heartbeat: false }));
