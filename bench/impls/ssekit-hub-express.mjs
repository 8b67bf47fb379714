/** The hub through @ssekit/express: subscribers on one topic, broadcasts by `hub.publish`. */
import { start as startExpress } from './ssekit-express.mjs';

export const start = () => startExpress({ hub: true });
