import { serve } from 'srvx';
import { createApp } from './app.js';

const server = serve({
  fetch: createApp().fetch,
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  silent: true,
});
await server.ready();
console.log(`llm-stream: ${server.url}`);
