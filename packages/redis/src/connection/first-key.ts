/**
 * The key a command is routed by on a Redis Cluster: the cluster clients need it to pick the node
 * (node-redis takes it as an argument). Every key of one broker command shares a hash slot (a
 * partition's stream and its publish records share its hash tag), so the first one is enough.
 */

/** The first key of one of the broker's commands; `undefined` for a command without keys. */
export function firstKeyOf(args: readonly string[]): string | undefined {
  const name = args[0]?.toUpperCase();
  switch (name) {
    case 'EVAL':
    case 'EVALSHA':
      return Number(args[2]) > 0 ? args[3] : undefined;
    case 'XREAD': {
      const streams = args.findIndex((arg) => arg.toUpperCase() === 'STREAMS');
      return streams === -1 ? undefined : args[streams + 1];
    }
    case 'XINFO':
      return args[2];
    case 'CLIENT':
    case 'PING':
      return undefined;
    default:
      return args[1];
  }
}
