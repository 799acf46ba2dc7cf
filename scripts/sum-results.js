// Sums every package's jest JSON results into the one closing line CI reads: "N passed, N failed".
const { readFileSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const roots = ['packages', 'packages/integrations', 'apps', 'examples'];
let passed = 0,
  failed = 0,
  skipped = 0,
  suites = 0;
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const dir of readdirSync(root)) {
    const file = join(root, dir, '.jest-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
    suites++;
  }
}
if (suites === 0) {
  console.error('no jest results found: no test ran');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
