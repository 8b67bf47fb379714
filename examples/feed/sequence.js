/**
 * Each connection's own order through the shared cache: a shuffle drawn from a seed, so the
 * whole sequence is known from `(seed, position)` and the event id alone is enough to resume.
 * The id also names the item it carried: if the cache changed since, the cursor is refused and
 * the client starts a fresh sequence instead of silently jumping elsewhere.
 */
export function createSequence(cache, cursorId) {
  const resumed = parseCursor(cache, cursorId);
  const seed = resumed?.seed ?? randomSeed();
  let position = resumed ? resumed.position + 1 : 0;
  let round = -1;
  let order = [];

  return {
    resumed: resumed !== undefined,
    /** The next event of this connection's sequence. */
    next() {
      const thisRound = Math.floor(position / cache.length);
      if (thisRound !== round) {
        round = thisRound;
        order = shuffle(cache.length, seed + round);
      }
      const item = cache[order[position % cache.length]];
      const event = {
        id: `${seed.toString(16)}:${position}:${item.city}`,
        event: 'postcard',
        data: { seed: seed.toString(16), position, ...item },
      };
      position += 1;
      return event;
    },
  };
}

function parseCursor(cache, id) {
  const match = /^([0-9a-f]{1,8}):(\d+):(.+)$/.exec(id ?? '');
  if (match === null) return undefined;
  const seed = Number.parseInt(match[1], 16);
  const position = Number(match[2]);
  if (!Number.isSafeInteger(position)) return undefined;
  const order = shuffle(cache.length, seed + Math.floor(position / cache.length));
  const item = cache[order[position % cache.length]];
  return item.city === match[3] ? { seed, position } : undefined;
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Fisher–Yates over `0..length-1`, driven by mulberry32 so a seed always gives the same order. */
function shuffle(length, seed) {
  const random = mulberry32(seed);
  const order = Array.from({ length }, (_, index) => index);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
