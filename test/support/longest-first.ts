/**
 * Runs the longest test files first, whatever their project. Vitest's own sequencer runs the
 * projects one after the other, so a long file of a late project (consumer types, a disconnect
 * storm) started when little else was left and the suite waited for it alone; longest first,
 * the short files fill the workers around the long ones.
 */
import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // A file's duration in the last run; a file never run (a fresh clone, a new file) comes
    // first, the larger first, since its time is unknown.
    const known = new Map<TestSpecification, number>();
    const unknown = new Map<TestSpecification, number>();
    for (const file of files) {
      const duration = this.ctx.cache.getTestSpecificationResult(file)?.duration;
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
