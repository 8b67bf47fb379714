/**
 * node-redis 5's cluster client learns where a slot went only from a `MOVED` reply. When a master
 * dies and its replica takes over, no node answers `MOVED` for its slots: the client keeps
 * routing them to the dead node's connection, and every command for them fails ("The client is
 * offline") for as long as the process runs. node-redis 6 reads the topology again when a node's
 * connection keeps failing; 5 does not, so the broker asks its own cluster clients to, through the
 * client's slot map (`_slots.rediscover`, present in 5 and 6, not part of node-redis's typed API:
 * where it is missing, nothing is asked and node-redis is left to find out by itself).
 */
import { isErrorReply } from '../replies.js';

/** What is used of a node-redis cluster client's internals here. */
interface SlotMap {
  rediscover(startWith: unknown): Promise<unknown>;
}

interface NodeEntry {
  readonly client?: { readonly isReady?: boolean; readonly options?: unknown };
}

/** At most one topology read this often per client: a dead node fails every command sent to it. */
const EVERY_MS = 500;

/** Topology reads asked of one cluster client. */
export interface Rediscovery {
  /**
   * Called with each failed command's error: one that is not Redis's reply (the node's connection
   * failed) starts a topology read, unless one runs or ran very recently or the client is closed.
   */
  failed(error: unknown): void;
  /**
   * The topology read running, if any. It may open node connections after the client was
   * destroyed (node-redis does not check), so whoever destroys it waits for this and destroys it
   * again.
   */
  readonly running: Promise<void> | undefined;
}

/** The topology reads of `cluster`, a node-redis cluster client of the broker's own. */
export function rediscoverOnFailure(cluster: object): Rediscovery {
  let running: Promise<void> | undefined;
  let last = Number.NEGATIVE_INFINITY;
  return {
    get running() {
      return running;
    },
    failed(error) {
      if (isErrorReply(error) || running !== undefined || performance.now() - last < EVERY_MS) {
        return;
      }
      if ((cluster as { isOpen?: boolean }).isOpen === false) return;
      const slots = (cluster as { _slots?: Partial<SlotMap> })._slots;
      const masters = (cluster as { masters?: readonly NodeEntry[] }).masters ?? [];
      if (typeof slots?.rediscover !== 'function') return;
      // Read from a master that answers; failing that, any node's address (node-redis then falls
      // back to the root nodes the client was created with).
      const startWith =
        masters.find((node) => node.client?.isReady === true)?.client ??
        masters.find((node) => node.client?.options !== undefined)?.client;
      if (startWith === undefined) return;
      last = performance.now();
      running = slots
        .rediscover(startWith)
        .then(
          () => {},
          () => {},
        )
        .finally(() => {
          running = undefined;
        });
    },
  };
}
