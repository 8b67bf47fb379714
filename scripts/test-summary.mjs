// Sums vitest JSON reports into the one closing line CI reads: "N passed, N failed, N skipped",
// followed by one line per failed test (file and full name) and the first lines of its error, so a
// failure is named and explained where it is read (CI keeps only the end of the log).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
for (const file of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name);
    const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failedTests) {
      failures.push(`  failed: ${where} > ${test.fullName}`);
      const lines = (test.failureMessages?.[0] ?? '').split('\n').map((line) => line.trim());
      const message = lines.filter((line) => line && !line.startsWith('at ')).slice(0, 3);
      const place = lines.find((line) => line.startsWith('at ') && !line.includes('node_modules'));
      for (const line of [...message, place ?? '']) {
        if (line) failures.push(`    ${line.slice(0, 300)}`);
      }
    }
    if (suite.status === 'failed' && failedTests.length === 0) {
      failures.push(
        `  failed: ${where} (${(suite.message ?? 'the file did not run').split('\n')[0]})`,
      );
    }
  }
}
const label = process.argv.length > 3 ? 'total: ' : '';
console.log(`${label}${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
for (const line of failures) console.log(line);
