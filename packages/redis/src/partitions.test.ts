import { compareIds } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { fromClientId, toClientId } from './partition-ids.js';
import { partitionLayout } from './partitions.js';

describe('partitionLayout', () => {
  it('keeps the key itself for one partition', () => {
    const layout = partitionLayout('ssekit:events', 1);
    expect(layout.keys).toEqual(['ssekit:events']);
    expect(layout.partitionOf('anything')).toBe(0);
  });

  it('puts the partition in the key hash tag, or adds a tag of its own', () => {
    expect(partitionLayout('ssekit:{chat}', 3).keys).toEqual([
      'ssekit:{chat:0}',
      'ssekit:{chat:1}',
      'ssekit:{chat:2}',
    ]);
    expect(partitionLayout('ssekit:chat', 2).keys).toEqual(['ssekit:chat:{0}', 'ssekit:chat:{1}']);
  });

  it('maps a topic by its hash tag when it has one, stably, over every partition', () => {
    const layout = partitionLayout('k', 16);
    expect(layout.partitionOf('user:{42}:inbox')).toBe(layout.partitionOf('user:{42}:presence'));
    expect(layout.partitionOf('user:{42}:inbox')).toBe(layout.partitionOf('42'));
    // FNV-1a of "prices" is 0x15792b1b; the mapping must never change between versions.
    expect(layout.partitionOf('prices')).toBe(0x15792b1b % 16);
    const used = new Set(Array.from({ length: 400 }, (_, n) => layout.partitionOf(`user:${n}`)));
    expect(used.size).toBe(16);
  });

  // Redis Cluster's rule, as the README states it: the first `{`, the next `}`, not empty.
  it('finds a tag as Redis Cluster does: after the first brace, and none when that is empty', () => {
    const layout = partitionLayout('k', 16);
    expect(layout.partitionOf('a{{b}')).toBe(layout.partitionOf('{b'));
    expect(layout.partitionOf('x{}{a}')).not.toBe(layout.partitionOf('a'));
    expect(partitionLayout('k:{}:{chat}', 2).keys).toEqual(['k:{}:{chat}:{0}', 'k:{}:{chat}:{1}']);
    expect(partitionLayout('k:{{chat}', 2).keys).toEqual(['k:{{chat:0}', 'k:{{chat:1}']);
  });
});

describe('partitioned ids', () => {
  it('are the stream ids themselves with one partition', () => {
    expect(toClientId(1, 0, '1764790000000-42')).toBe('1764790000000-42');
    expect(fromClientId('1764790000000-42')).toEqual({
      partitions: 1,
      partition: 0,
      streamId: '1764790000000-42',
    });
  });

  it('name the partition count and the partition, and read back', () => {
    const id = toClientId(16, 3, '1764790000000-42');
    expect(id).toBe('10160031764790000000-42');
    expect(fromClientId(id)).toEqual({
      partitions: 16,
      partition: 3,
      streamId: '1764790000000-42',
    });
    expect(fromClientId(toClientId(999, 998, '0-0'))).toEqual({
      partitions: 999,
      partition: 998,
      streamId: '0-0',
    });
  });

  it('stay ordered by time, then count, within a partition', () => {
    const ids = ['999-7', '1000-8', '1000-9', '1764790000000-10'].map((id) => toClientId(4, 1, id));
    expect([...ids].reverse().sort(compareIds)).toEqual(ids);
  });
});
