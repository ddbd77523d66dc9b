import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { parseYamlStream, parseYamlValue } from '../../shared/yaml.js';
import { largeWorkflow } from '../../bench/fixtures/large-workflow.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';

const codes = (text: string): string[][] => parseYamlStream(text).map((document) => document.errors.map((error) => error.code));

describe('YAML parsing in linear time', () => {
  test('reports a key that repeats an earlier key of its map, with its line and column', () => {
    const [document] = parseYamlStream('a: 1\nb:\n  c: 2\n  c: 3\n');
    assert.deepEqual(
      document?.errors.map((error) => [error.code, error.message, error.linePos?.[0]]),
      [['DUPLICATE_KEY', 'Map keys must be unique at line 4, column 3', { line: 4, col: 3 }]],
    );
    assert.throws(() => parseYamlValue('x: 1\nx: 2\n'), { message: 'Map keys must be unique at line 2, column 1' });
  });

  test('finds the same duplicate keys as the yaml package, in every document', () => {
    const key = fc.constantFrom('a', 'b', '1', '"1"', 'true', '"true"', '~', 'null');
    const map = fc.array(key, { minLength: 1, maxLength: 5 }).map((keys) => keys.map((k, i) => `${k}: ${i}`).join('\n'));
    const stream = fc.array(map, { minLength: 1, maxLength: 3 }).map((maps) => maps.join('\n---\n'));
    fc.assert(
      fc.property(stream, (text) => {
        const expected = [...parseAllDocuments(text)].map((document) => document.errors.map((error) => error.code));
        assert.deepEqual(codes(text), expected, text);
      }),
    );
  });

  test('reads what the yaml package reads', () => {
    assert.deepEqual(parseYamlValue('x: [1, {y: 2}]\nz: "q"\n'), { x: [1, { y: 2 }], z: 'q' });
    assert.equal(parseYamlValue(''), null);
    assert.throws(() => parseYamlValue('a: 1\n---\nb: 2\n'), /multiple documents/);
  });

  test('checks a map of 37,000 keys in one pass (the package compares each key with every earlier one)', { timeout: 20_000 }, () => {
    const text = Array.from({ length: 37_000 }, (_, i) => `k${i}: x`).join('\n');
    const [document] = parseYamlStream(`${text}\nk5: again\n`);
    assert.deepEqual(
      document?.errors.map((error) => error.code),
      ['DUPLICATE_KEY'],
    );
  });
});

describe('a 1 MiB workflow', () => {
  test('is validated whole — manifests of the largest size, placeholders and look-alikes, maps of thousands of keys', { timeout: 20_000 }, () => {
    // The time is measured by `npm run bench -- --scenario validation` (objective: under 1 s); here, what is found.
    const { object, size } = largeWorkflow(1024 * 1024);
    assert.ok(size >= 1024 * 1024, `${size} bytes`);
    const result = validateWorkflow(object);
    assert.deepEqual(result.problems, []);
    assert.ok((result.workflow?.spec.actions.length ?? 0) >= 8);
  });
});
