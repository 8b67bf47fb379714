/** Node writer (d): `stream.readable.pipeTo(Writable.toWeb(res))`. */
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';
import { pipeToWeb, webWriter } from '../lib/web-writer.mjs';

export const start = () => ssekitNodeApp(webWriter(pipeToWeb));
