/** Node writer (c): `Readable.fromWeb(stream.readable).pipe(res)`. */
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';
import { fromWebPipe, webWriter } from '../lib/web-writer.mjs';

export const start = () => ssekitNodeApp(webWriter(fromWebPipe));
