/**
 * Runs a wiring recipe (the path given as the argument) and prints the heartbeat registry of the
 * core it shares with the recipe whenever it changes: `registry {"streams":1,"timers":1}`. The
 * recipe's own lines (`listening on …`) pass through. Plain JavaScript that Node, Bun and Deno
 * all run as is; both it and the recipe import `@ssekit/core` from node_modules (the build).
 */
import { heartbeatRegistry } from '@ssekit/core/adapter';

const recipe = globalThis.Deno?.args[0] ?? process.argv[2];
let last = '';
setInterval(() => {
  const now = JSON.stringify(heartbeatRegistry());
  if (now === last) return;
  last = now;
  console.log(`registry ${now}`);
}, 20);
await import(new URL(recipe, `file://${process.cwd()}/`).href);
