// Sums vitest JSON reports into the one closing line CI reads: "N passed, N failed, N skipped",
// followed by one line per failed test (file and full name), so a failure is named where it is read.
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
    for (const test of failedTests) failures.push(`  failed: ${where} > ${test.fullName}`);
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
