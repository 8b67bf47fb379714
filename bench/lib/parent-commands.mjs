/**
 * The child side of a bench server process: answers the parent's commands by id, stops the app
 * when the parent goes away, and reports ready with the port and the memory of the empty server.
 */
export function answerParent(app, commands, empty) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      process.send({ id, result: await commands[cmd](args) });
    } catch (error) {
      process.send({ id, error: error.stack ?? String(error) });
    }
  });
  process.on('disconnect', async () => {
    await app.stop?.();
    process.exit(0);
  });
  process.send({ ready: true, port: app.server.address().port, empty });
}
