/**
 * Preloaded (`node --import`) into a README snippet run by test/docs/snippets-run.test.ts. The
 * test rewrites the snippet's port to 0, so that snippets run side by side; this reports the port
 * each server was given, as `listening <port>` on file descriptor 3, which the test reads. It only
 * watches `net.Server#listen`: the snippet itself runs unchanged.
 */
import { writeSync } from 'node:fs';
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenAndReport(...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object')
      writeSync(3, `listening ${address.port}\n`);
  });
  return listen.apply(this, args);
};
