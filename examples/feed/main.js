import { serve } from '@hono/node-server';
import { createFeedApp } from './app.js';

serve(
  { fetch: createFeedApp().fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) },
  (info) => console.log(`feed: http://127.0.0.1:${info.port}/`),
);
