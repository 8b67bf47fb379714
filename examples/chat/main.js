import { createChat } from './server.js';

const chat = createChat();
const server = chat.createServer();
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(
    `chat: http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`,
  );
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await chat.close();
    server.close();
  });
}
