/**
 * The look-alike scan finds exactly what the regular expression it replaces found, in one pass: a
 * workflow's size no longer decides how long validation takes in the square.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { findLookalikes } from '../../../shared/engine/lookalikes.js';
import { findUnsupportedReferences } from '../../../shared/engine/templates.js';

/** The expression the scan replaces: correct, but quadratic on some inputs. */
const REGEX = /\{\{[^{}]*\.params\b[^{}]*\}\}|\$\(params\b[^)]*\)/g;
const byRegex = (text: string): { raw: string; index: number }[] => [...text.matchAll(REGEX)].map((m) => ({ raw: m[0], index: m.index }));

/** Strings made of the pieces that matter, so the property reaches every branch. */
const pieces = fc.constantFrom('{{', '}}', '{', '}', '.params', 'params', '$(params', '$(', ')', ' ', 'x', '.', '_', '|', '\n', '.paramsx');
const texts = fc.array(pieces, { maxLength: 40 }).map((parts) => parts.join(''));

describe('finding parameter look-alikes', () => {
  test('finds what the regular expression finds, at the same places, on any text', () => {
    fc.assert(
      fc.property(texts, (text) => {
        assert.deepEqual(findLookalikes(text), byRegex(text));
      }),
      { numRuns: 3000 },
    );
  });

  const cases = [
    { text: '{{ .params.a | quote }}', found: ['{{ .params.a | quote }}'] },
    { text: 'a {{ .Values.x }} b', found: [] },
    { text: '$(params.a.b) and $(params)', found: ['$(params.a.b)', '$(params)'] },
    { text: '{{{ .params.x }}', found: ['{{ .params.x }}'] },
    { text: '{{ .paramsx }}', found: [] },
    { text: '$(paramsx)', found: [] },
    { text: '$(params.a', found: [] },
  ];
  for (const { text, found } of cases) {
    test(`finds ${JSON.stringify(found)} in ${JSON.stringify(text)}`, () => {
      assert.deepEqual(
        findLookalikes(text).map((m) => m.raw),
        found,
      );
    });
  }

  // Each of these took the regular expression minutes at this size; the scan takes milliseconds. The
  // test's own timeout is generous (a busy machine must not fail it): only a return to quadratic does.
  const MIB = 1024 * 1024;
  const hostile = [
    { name: 'a run of .params inside one brace pair', text: `{{ ${'.params'.repeat(Math.floor(MIB / 7))}` },
    { name: 'many unclosed $(params', text: '$(params '.repeat(Math.floor(MIB / 9)) },
    { name: 'many {{ .params without a close', text: '{{ .params '.repeat(Math.floor(MIB / 11)) },
  ];
  for (const { name, text } of hostile) {
    test(`scans 1 MiB of ${name} in one pass`, { timeout: 20_000 }, () => {
      assert.ok(text.length > MIB * 0.99);
      assert.deepEqual(findUnsupportedReferences(text), []);
    });
  }
});
