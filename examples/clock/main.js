import { createClockServer } from './server.js';

const server = createClockServer();
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(
    `clock: http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`,
  );
});
