import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { executionName, timestamp } from '../../cli/commands/execute.js';
import { parseArgs, type FlagSpec } from '../../cli/kube.js';
import { progressBar } from '../../cli/render/format.js';

const SPEC: FlagSpec = { values: ['--param', '--output'], switches: ['--wait'], aliases: { '-o': '--output' } };

describe('parsing a command line', () => {
  const cases: Array<[string, string[], { positionals: string[]; values: Record<string, string[]>; switches: string[] } | string]> = [
    [
      'positionals, values and switches in any order',
      ['plan', '--wait', '--param', 'a=1'],
      { positionals: ['plan'], values: { '--param': ['a=1'] }, switches: ['--wait'] },
    ],
    [
      '--flag=value, keeping later "=" in the value',
      ['--param=url=http://x?a=b'],
      { positionals: [], values: { '--param': ['url=http://x?a=b'] }, switches: [] },
    ],
    ['repeated values, in order', ['--param', 'a=1', '--param', 'b=2'], { positionals: [], values: { '--param': ['a=1', 'b=2'] }, switches: [] }],
    [
      'short forms and the connection flags every command has',
      ['-o', 'json', '-n', 'shop', '--context', 'prod', '--kubeconfig=/k'],
      { positionals: [], values: { '--output': ['json'], '--namespace': ['shop'], '--context': ['prod'], '--kubeconfig': ['/k'] }, switches: [] },
    ],
    ['a lone "-" as a positional', ['-'], { positionals: ['-'], values: {}, switches: [] }],
    ['an unknown option', ['--colour'], 'unknown option "--colour"'],
    ['a switch given a value', ['--wait=yes'], 'unknown option "--wait=yes"'],
    ['a value flag at the end', ['plan', '--param'], '--param needs a value'],
    ['an empty value', ['--param='], '--param needs a value'],
  ];
  for (const [what, args, expected] of cases) {
    test(what, () => {
      const parsed = parseArgs(args, SPEC);

      if (typeof expected === 'string') {
        assert.equal(parsed, expected);
        return;
      }
      assert.notEqual(typeof parsed, 'string');
      if (typeof parsed === 'string') return;
      assert.deepEqual({ positionals: parsed.positionals, values: Object.fromEntries(parsed.values), switches: [...parsed.switches] }, expected);
    });
  }
});

describe('execution names', () => {
  const at = new Date('2026-11-26T09:05:07.891Z');

  test('are the plan, then the UTC time to the second', () => {
    assert.equal(timestamp(at), '20261126-090507');
    assert.equal(executionName('failover', at), 'failover-20261126-090507');
    assert.equal(executionName('failover', at, 'revert'), 'failover-revert-20261126-090507');
  });

  test('shorten a long plan name to stay within the 253 characters of an object name', () => {
    const name = executionName('a'.repeat(250), at, 'revert');

    assert.equal(name.length, 253);
    assert.match(name, /^a+-revert-20261126-090507$/);
  });
});

describe('small formats', () => {
  test('a progress bar is full only when everything is done', () => {
    assert.deepEqual(
      [progressBar(0, 4, 8), progressBar(3, 4, 8), progressBar(39, 40, 8), progressBar(4, 4, 8), progressBar(0, 0, 8)],
      ['[--------]', '[######--]', '[#######-]', '[########]', '[--------]'],
    );
  });
});
