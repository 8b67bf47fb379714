/** Node writer (b): a reader loop over `stream.readable`, writing to the response with drain. */
import { ssekitNodeApp } from '../lib/ssekit-node-app.mjs';
import { readerLoop, webWriter } from '../lib/web-writer.mjs';

export const start = () => ssekitNodeApp(webWriter(readerLoop));
