/**
 * Moving a key's hash slot to another master the way `redis-cli --cluster reshard` does, one step
 * at a time so that a test can publish and read in between: the target imports the slot, the
 * source migrates it, the slot's keys are moved a few at a time (`MIGRATE`), and every master is
 * then told the slot's new owner. Between the first and last step the source answers `ASK` for a
 * key it no longer has, and both answer `TRYAGAIN` for a multi-key command whose keys are split;
 * once the slot is assigned, the source answers `MOVED`.
 */
import type { ClusterNode, LocalCluster } from './local-cluster.js';

export interface SlotMove {
  readonly slot: number;
  readonly from: ClusterNode;
  readonly to: ClusterNode;
  /** How many keys were moved; the stream's history went with its key. */
  readonly keysMoved: number;
}

/**
 * Moves the slot of `key` from its master to `to`, `keysPerStep` keys per `MIGRATE`, calling
 * `between(step)` after each step (and once before the first key moves), so that the caller can
 * publish while the slot is half moved.
 */
export async function moveSlot(
  cluster: LocalCluster,
  key: string,
  to: ClusterNode,
  between: (step: number) => Promise<void> = async () => {},
  keysPerStep = 5,
): Promise<SlotMove> {
  const from = await cluster.masterOf(key);
  if (from === to) throw new Error(`slot of "${key}" is already on ${to.port}`);
  const slot = Number(await cluster.command(from, ['CLUSTER', 'KEYSLOT', key]));
  await cluster.command(to, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id]);
  await cluster.command(from, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id]);
  let step = 0;
  let keysMoved = 0;
  await between(step++);
  for (;;) {
    const keys = (await cluster.command(from, [
      'CLUSTER',
      'GETKEYSINSLOT',
      String(slot),
      String(keysPerStep),
    ])) as string[];
    if (keys.length === 0) break;
    await cluster.command(from, [
      'MIGRATE',
      '127.0.0.1',
      String(to.port),
      '',
      '0',
      '10000',
      'KEYS',
      ...keys,
    ]);
    keysMoved += keys.length;
    await between(step++);
  }
  // As redis-cli does: the target first (it stops answering ASK-only), then the source, then all.
  const masters = await mastersOf(cluster);
  for (const node of [to, from, ...masters.filter((m) => m !== to && m !== from)]) {
    await cluster.command(node, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id]);
  }
  return { slot, from, to, keysMoved };
}

/** The live masters, as a live node sees the cluster. */
export async function mastersOf(cluster: LocalCluster): Promise<ClusterNode[]> {
  const asked = cluster.nodes.find((node) => !node.killed) as ClusterNode;
  const lines = String(await cluster.command(asked, ['CLUSTER', 'NODES'])).split('\n');
  return cluster.nodes.filter((node) =>
    lines.some((line) => {
      const [id, , flags] = line.split(' ');
      return id === node.id && flags?.includes('master') && !flags.includes('fail');
    }),
  );
}
