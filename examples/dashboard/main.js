import { createDashboard } from './server.js';

const dashboard = createDashboard();
const server = dashboard.app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(
    `dashboard: http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`,
  );
});

// Open SSE responses keep `server.close()` waiting forever. The order of docs/deploying.md:
// accept no new connections, end the streams (the hub tells each browser to retry in 1 s, so it
// reconnects elsewhere), then close the sockets they leave idle.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    server.close();
    await dashboard.close({ retry: 1000 });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
  });
}
