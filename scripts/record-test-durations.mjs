// Writes test/durations.json, each test file's seconds in a whole run, from a vitest JSON report
// (`npm test -- --reporter=json --outputFile=report.json`). test/support/longest-first.ts orders a
// run by these where the run has none of its own yet (a fresh clone, CI), so that the longest
// files start first there too instead of the largest.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportPath] = process.argv.slice(2);
if (reportPath === undefined) {
  console.error('usage: node scripts/record-test-durations.mjs <vitest JSON report>');
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const seconds = Object.fromEntries(
  report.testResults
    .map((file) => [
      relative(process.cwd(), file.name),
      Math.round((file.endTime - file.startTime) / 100) / 10,
    ])
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);
writeFileSync('test/durations.json', `${JSON.stringify(seconds, null, 2)}\n`);
console.log(`test/durations.json: ${Object.keys(seconds).length} files`);
