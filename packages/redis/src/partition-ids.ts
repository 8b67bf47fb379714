/**
 * The ids clients see. With one partition they are the stream's own ids, `<ms>-<n>` (see
 * `append-script.ts`), as before partitions existed. With more, an entry's id also says which
 * layout and partition it comes from, so that a client resuming with it is replayed from that one
 * partition, and an id from another layout (the partition count changed) is recognised and
 * answered with a reset, never read from the wrong partition:
 *
 *   `1<count: 3 digits><partition: 3 digits><ms: 13 digits>-<n>`, e.g. `1016003` + `1764790000000-42`
 *
 * The first part stays ordered by time within a partition and `n` still counts every entry of
 * the partition, so a gap is still arithmetic. A one-partition id has a first part of at most 13
 * digits until the year 2286, so the two forms never meet.
 */

/** The most partitions an id can name. */
export const MAX_PARTITIONS = 999;

/** Where a client id points: the partition count it was given under, its partition, its stream id. */
export interface PartitionPosition {
  readonly partitions: number;
  readonly partition: number;
  /** The id in the partition's stream, `<ms>-<n>`. */
  readonly streamId: string;
}

/** The client id of `streamId` in `partition` of `partitions`. */
export function toClientId(partitions: number, partition: number, streamId: string): string {
  if (partitions === 1) return streamId;
  const dash = streamId.indexOf('-');
  const ms = streamId.slice(0, dash).padStart(13, '0');
  return `1${pad3(partitions)}${pad3(partition)}${ms}${streamId.slice(dash)}`;
}

/** Where a well-formed hub id (`<digits>-<digits>`) points. */
export function fromClientId(id: string): PartitionPosition {
  const dash = id.indexOf('-');
  if (dash !== 20 || id[0] !== '1') return { partitions: 1, partition: 0, streamId: id };
  return {
    partitions: Number(id.slice(1, 4)),
    partition: Number(id.slice(4, 7)),
    streamId: `${Number(id.slice(7, 20))}${id.slice(dash)}`,
  };
}

function pad3(value: number): string {
  return String(value).padStart(3, '0');
}
