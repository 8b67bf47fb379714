/**
 * The event loop's turn, as a number that changes once the loop has gone round (and so every
 * sink has had its chance to write). The slow-client policy uses it to tell the bytes queued
 * in this turn, which no client could have read yet, from the ones a client left unread.
 * One scheduled callback per turn for the whole process, and only in turns that ask.
 */

/**
 * Runs `callback` in a later macrotask, after pending I/O: `setImmediate` where the runtime has
 * it (Node, Bun, Deno), else `setTimeout(0)` (edge runtimes).
 */
export const schedule: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (callback) => globalThis.setImmediate(callback)
    : (callback) => setTimeout(callback, 0);

let turn = 0;
let advancing = false;

function advance(): void {
  advancing = false;
  turn += 1;
}

/** The current turn; asking schedules the next one. */
export function currentTurn(): number {
  if (!advancing) {
    advancing = true;
    schedule(advance);
  }
  return turn;
}
