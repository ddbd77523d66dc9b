import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { needsTool } from '../support/tools.js';
import { runCli } from './helpers.js';

const COMMANDS = ['execute', 'revert', 'cancel', 'status', 'history', 'describe', 'graph', 'events', 'replay'];
const SHIM = fileURLToPath(new URL('../../bin/kubectl-drplan', import.meta.url));

describe('--help', () => {
  for (const command of COMMANDS) {
    test(`drplan ${command} --help prints its usage and exits 0`, async () => {
      const run = await runCli([command, '--help']);

      assert.equal(run.code, 0);
      assert.match(run.stdout, new RegExp(`^Usage: drplan ${command} `));
      assert.equal(run.stderr, '');
    });
  }

  test('drplan --help lists every command with its summary', async () => {
    const run = await runCli(['--help']);

    assert.equal(run.code, 0);
    for (const command of COMMANDS) assert.match(run.stdout, new RegExp(`\\n {2}${command} +\\S`));
  });
});

describe('usage errors', () => {
  const cases: Array<[string, string[], string]> = [
    ['an unknown option', ['status', 'x', '--colour'], 'drplan status: unknown option "--colour"'],
    ['a missing argument', ['execute'], 'drplan execute: missing argument'],
    ['an extra argument', ['describe', 'a', 'b'], 'drplan describe: unexpected argument "b"'],
    ['an option without its value', ['history', 'p', '-n'], 'drplan history: -n needs a value'],
  ];
  for (const [what, args, message] of cases) {
    test(`${what} exits 2 with the message and the usage`, async () => {
      const run = await runCli(args);

      assert.equal(run.code, 2);
      assert.equal(run.stderr.split('\n')[0], message);
      assert.match(run.stderr, /\n\nUsage: drplan /);
    });
  }
});

describe('the kubectl plugin', () => {
  const pathDir = mkdtempSync(join(tmpdir(), 'drplan-plugin-'));
  after(() => {
    rmSync(pathDir, { recursive: true, force: true });
  });

  test('kubectl-drplan runs the same CLI', () => {
    const result = spawnSync(process.execPath, [SHIM, 'graph', '--help'], { encoding: 'utf8' });

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: drplan graph /);
  });

  test('kubectl finds it on PATH as a plugin: kubectl drplan … works', { skip: needsTool('kubectl') }, () => {
    symlinkSync(SHIM, join(pathDir, 'kubectl-drplan'));
    const env = { ...process.env, PATH: `${pathDir}${delimiter}${process.env.PATH ?? ''}` };

    const result = spawnSync('kubectl', ['drplan', 'status', '--help'], { encoding: 'utf8', env });

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: drplan status /);
  });
});
