import { createDashboard } from './server.js';

const dashboard = createDashboard();
const server = dashboard.app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`dashboard: http://127.0.0.1:${server.address().port}/`);
});

// Open SSE responses keep `server.close()` waiting forever: close the streams first (the hub
// tells each browser to retry in 1 s), then the server finishes at once.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await dashboard.close({ retry: 1000 });
    server.close();
  });
}
