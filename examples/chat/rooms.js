const MAX_ROOMS = 100;

/**
 * What the chat keeps per room besides the hub's history: the recent messages a new page draws
 * first, the id of the room's latest event, and who is connected. Bounded: at most `MAX_ROOMS`
 * rooms and `recentSize` messages per room, whatever clients send.
 */
export function createRooms(recentSize) {
  const rooms = new Map();
  return {
    /** The room, created on first use; `undefined` when the room limit is reached. */
    get(name) {
      let room = rooms.get(name);
      if (room === undefined && rooms.size < MAX_ROOMS) {
        room = { recent: [], lastId: undefined, members: new Map() };
        rooms.set(name, room);
      }
      return room;
    },
    /** Records an event the hub accepted for `room`, under the id it was given. */
    record(room, id, event, data) {
      room.lastId = id;
      if (event !== 'message') return;
      room.recent.push(data);
      if (room.recent.length > recentSize) room.recent.shift();
    },
  };
}

/** Counts connections per nickname (a person may have two tabs open); returns the names. */
export function join(room, nick) {
  room.members.set(nick, (room.members.get(nick) ?? 0) + 1);
  return memberList(room);
}

export function leave(room, nick) {
  const count = (room.members.get(nick) ?? 1) - 1;
  if (count === 0) room.members.delete(nick);
  else room.members.set(nick, count);
  return memberList(room);
}

function memberList(room) {
  return [...room.members.keys()].sort((a, b) => a.localeCompare(b));
}
