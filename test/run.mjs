#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: test/) with node:test and tsx.
// Node 20's test runner does not expand globs itself, so the file list is built here.
// After the run it lists every skipped test with its reason and prints the closing counts; with
// DRPLAN_TEST_FORBID_SKIPS=1 (set by .ci/run) a run that skipped anything fails.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
};
for (const root of roots.length > 0 ? roots : ['test']) {
  if (statSync(root).isDirectory()) walk(root);
  else files.push(root);
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'drplan-test-run-'));
const outcomesFile = join(work, 'outcomes.jsonl');
const reporter = fileURLToPath(new URL('./skip-reporter.mjs', import.meta.url));
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${outcomesFile}`,
    ...passThrough,
    ...files,
  ],
  { stdio: 'inherit' },
);

let outcomes = [];
try {
  outcomes = readFileSync(outcomesFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
} catch {
  // The runner died before writing anything: its exit status says so.
}
rmSync(work, { recursive: true, force: true });

const count = (outcome) => outcomes.filter((o) => o.outcome === outcome).length;
const skipped = outcomes.filter((o) => o.outcome === 'skipped');
if (skipped.length > 0) {
  console.log(`\nskipped ${skipped.length} test${skipped.length === 1 ? '' : 's'}:`);
  for (const o of skipped) console.log(`  ${o.file === undefined ? '' : `${relative(process.cwd(), o.file)}: `}${o.name} — ${o.reason ?? 'no reason given'}`);
}
const cancelled = count('cancelled');
console.log(
  `\n${count('passed')} passed, ${count('failed') + cancelled} failed, ${skipped.length} skipped${cancelled > 0 ? ` (${cancelled} of the failed were cancelled)` : ''}`,
);

let status = result.status ?? 1;
if (status === 0 && process.env.DRPLAN_TEST_FORBID_SKIPS === '1' && skipped.length > 0) {
  console.error(`DRPLAN_TEST_FORBID_SKIPS=1: ${skipped.length} test(s) skipped; install what they name (see .ci/run)`);
  status = 1;
}
process.exit(status);
