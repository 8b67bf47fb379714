/** The hub through @ssekit/koa: subscribers on one topic, broadcasts by `hub.publish`. */
import { start as startKoa } from './ssekit-koa.mjs';

export const start = () => startKoa({ hub: true });
