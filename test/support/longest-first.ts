/**
 * Runs the longest test files first, whatever their project. Vitest's own sequencer runs the
 * projects one after the other, so a long file of a late project (consumer types, a disconnect
 * storm) started when little else was left and the suite waited for it alone; longest first,
 * the short files fill the workers around the long ones.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Each file's seconds in a recorded whole run (`scripts/record-test-durations.mjs`), for a run
 * that has no durations of its own: a fresh clone (CI, a newcomer's first `npm test`) ordered by
 * file size started the Redis Cluster files (four lines each, a cluster per test) last, and the
 * suite waited for them alone.
 */
const recordedPath = new URL('../durations.json', import.meta.url);
const recorded: Record<string, number> = existsSync(recordedPath)
  ? JSON.parse(readFileSync(recordedPath, 'utf8'))
  : {};

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // A file's duration in the last run, else in the recorded one; a file in neither (a new
    // file) comes first, the larger first, since its time is unknown.
    const known = new Map<TestSpecification, number>();
    const unknown = new Map<TestSpecification, number>();
    for (const file of files) {
      const duration =
        this.ctx.cache.getTestSpecificationResult(file)?.duration ??
        recordedMs(relative(this.ctx.config.root, file.moduleId));
      if (duration === undefined) unknown.set(file, statSync(file.moduleId).size);
      else known.set(file, duration);
    }
    const byGroup = (a: TestSpecification, b: TestSpecification) =>
      a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
    return [
      ...[...unknown.keys()].sort((a, b) => (unknown.get(b) ?? 0) - (unknown.get(a) ?? 0)),
      ...[...known.keys()].sort((a, b) => (known.get(b) ?? 0) - (known.get(a) ?? 0)),
    ].sort(byGroup);
  }
}

function recordedMs(file: string): number | undefined {
  const seconds = recorded[file];
  return seconds === undefined ? undefined : seconds * 1000;
}
