import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { TemplateContext } from '../../../shared/engine/templates.js';
import { BUILTINS, collectPlaceholders, findPlaceholders, findUnsupportedReferences, renderManifest, renderValue } from '../../../shared/engine/templates.js';

// ---- Fixtures -------------------------------------------------------------------------------------

const BUILTIN_VALUES = { planName: 'nginx-plan', planNamespace: 'dr', executionName: 'exec-1', namespace: 'dr' } as const;

const context = (params: Record<string, string> = {}, types: TemplateContext['types'] = {}): TemplateContext => ({
  params,
  builtins: BUILTIN_VALUES,
  types,
});

const renderText = (text: string, ctx: TemplateContext = context()): unknown => renderValue(text, ctx).value;

/** The single document of a rendered manifest, parsed again from the rendered text. */
const reparsed = (manifest: string): unknown => parseYaml(manifest);

// ---- findPlaceholders ----------------------------------------------------------------------------

describe('findPlaceholders', () => {
  const recognised: Array<[string, 'param' | 'builtin', string]> = [
    ['{{ .params.endpoint }}', 'param', 'endpoint'],
    ['{{.params.endpoint}}', 'param', 'endpoint'],
    ['{{   .params.endpoint\t}}', 'param', 'endpoint'],
    ['{{ .params.feed_ns-2 }}', 'param', 'feed_ns-2'],
    ['$(params.endpoint)', 'param', 'endpoint'],
    ['$(params.feed_ns-2)', 'param', 'feed_ns-2'],
    ...BUILTINS.flatMap((name): Array<[string, 'builtin', string]> => [
      [`{{ .${name} }}`, 'builtin', name],
      [`{{.${name}}}`, 'builtin', name],
      [`$(${name})`, 'builtin', name],
    ]),
  ];
  for (const [text, kind, name] of recognised) {
    test(`recognises ${JSON.stringify(text)} as the ${kind} ${name}`, () => {
      const found = findPlaceholders(text);

      assert.deepEqual(found, [{ raw: text, kind, name, index: 0 }]);
    });
  }

  const ignored = [
    '{{ .Values.replicas }}',
    '{{ include "nginx.labels" . }}',
    '{{ .params.url | quote }}',
    '{{ params.url }}',
    '{{ .params. }}',
    '{{ .params.url }',
    '{{\n.params.url }}',
    '{{ .planNameX }}',
    '{{ .Namespace }}',
    '$(date +%s)',
    '$(params.)',
    '$( params.url )',
    '$(params.a.b)',
    '$(PLAN_NAME)',
    '${params.url}',
  ];
  for (const text of ignored) {
    test(`leaves ${JSON.stringify(text)} alone`, () => {
      assert.deepEqual(findPlaceholders(text), []);
    });
  }

  test('reports every placeholder with its offset, in order of appearance', () => {
    const text = 'http://{{ .params.host }}:$(params.port)/{{ .planName }}?e=$(executionName)';

    const found = findPlaceholders(text).map(({ name, index }) => [name, index]);

    assert.deepEqual(found, [
      ['host', 7],
      ['port', 26],
      ['planName', 41],
      ['executionName', 59],
    ]);
  });
});

describe('findUnsupportedReferences', () => {
  test('finds look-alike expressions that rendering leaves alone, but not real placeholders or Helm', () => {
    const text = '{{ .params.a | quote }} $(params.a.b) {{ .params.ok }} $(params.ok) {{ .Values.x }} $(date)';

    const found = findUnsupportedReferences(text);

    assert.deepEqual(found, [
      { raw: '{{ .params.a | quote }}', index: 0 },
      { raw: '$(params.a.b)', index: 24 },
    ]);
  });
});

// ---- collectPlaceholders -------------------------------------------------------------------------

describe('collectPlaceholders', () => {
  test('walks nested objects and arrays and names each placeholder by its field path', () => {
    const action = {
      name: 'probe',
      http: { url: '{{ .params.host }}/x', headers: { 'X-Plan': '$(planName)' } },
      job: { template: { spec: { containers: [{ args: ['a', '$(params.mode)'] }] } } },
      retries: 3,
    };

    const found = collectPlaceholders(action, 'spec.actions[2]').map(({ path, placeholder }) => [path, placeholder.name]);

    assert.deepEqual(found, [
      ['spec.actions[2].http.url', 'host'],
      ['spec.actions[2].http.headers.X-Plan', 'planName'],
      ['spec.actions[2].job.template.spec.containers[0].args[1]', 'mode'],
    ]);
  });

  test('finds placeholders in object keys, at the path of their entry', () => {
    const found = collectPlaceholders({ headers: { '{{ .params.h }}': 'v' } }, 'http');

    assert.deepEqual(
      found.map(({ path }) => path),
      ['http.headers.{{ .params.h }}'],
    );
  });

  test('finds nothing in numbers, booleans and null', () => {
    assert.deepEqual(collectPlaceholders({ a: 1, b: true, c: null, d: [2] }, ''), []);
  });
});

// ---- renderValue ---------------------------------------------------------------------------------

describe('renderValue', () => {
  const cases: Array<[string, string, unknown]> = [
    ['the Go-template syntax', 'http://{{ .params.host }}/health', 'http://svc.dr/health'],
    ['the Go-template syntax without spaces', 'http://{{.params.host}}/health', 'http://svc.dr/health'],
    ['the $() syntax', 'http://$(params.host)/health', 'http://svc.dr/health'],
    ['both syntaxes in one string', '{{ .params.host }}:$(params.port)', 'svc.dr:8443'],
    ['the same placeholder twice', '$(params.port)-{{ .params.port }}', '8443-8443'],
    ['the built-in planName', '{{ .planName }}/$(planName)', 'nginx-plan/nginx-plan'],
    ['the built-in planNamespace', '{{ .planNamespace }}', 'dr'],
    ['the built-in namespace', '$(namespace)', 'dr'],
    ['the built-in executionName', '{{ .executionName }}', 'exec-1'],
    ['Helm syntax, left alone', 'replicas: {{ .Values.replicas }} {{ include "x" . }}', 'replicas: {{ .Values.replicas }} {{ include "x" . }}'],
    ['shell command substitution, left alone', 'echo $(date) $(params.host)', 'echo $(date) svc.dr'],
    ['a value holding a placeholder, not rendered again', '{{ .params.tricky }}', '{{ .params.host }}'],
  ];
  for (const [what, template, expected] of cases) {
    test(`renders ${what}`, () => {
      const ctx = context({ host: 'svc.dr', port: '8443', tricky: '{{ .params.host }}' });

      const rendered = renderValue(template, ctx);

      assert.deepEqual(rendered, { value: expected, missing: [] });
    });
  }

  test('lists missing names once each, in order, and leaves their placeholders as written', () => {
    const value = { url: '{{ .params.b }}/{{ .params.a }}', body: '$(params.b) {{ .params.known }}' };

    const rendered = renderValue(value, context({ known: 'k' }));

    assert.deepEqual(rendered, {
      value: { url: '{{ .params.b }}/{{ .params.a }}', body: '$(params.b) k' },
      missing: ['b', 'a'],
    });
  });

  test('never renders <no value>', () => {
    const rendered = renderText('x={{ .params.nothing }}', { params: {}, builtins: {} });

    assert.equal(rendered, 'x={{ .params.nothing }}');
  });

  test('reports a built-in the context does not provide as missing', () => {
    const rendered = renderValue('$(executionName)', { params: {}, builtins: {} });

    assert.deepEqual(rendered.missing, ['executionName']);
  });

  test('renders inside arrays, nested objects and keys; other scalars pass through', () => {
    const value = { headers: { 'X-{{ .params.h }}': '$(params.v)' }, codes: [200, '$(params.v)'], on: true, none: null };

    const rendered = renderValue(value, context({ h: 'Plan', v: '7' })).value;

    assert.deepEqual(rendered, { headers: { 'X-Plan': '7' }, codes: [200, '7'], on: true, none: null });
  });

  test('keeps strings strings whatever the declared type', () => {
    const rendered = renderValue(
      { when: '{{ .params.enabled }}', n: '$(params.n)' },
      context({ enabled: 'true', n: '3' }, { enabled: 'boolean', n: 'number' }),
    );

    assert.deepEqual(rendered.value, { when: 'true', n: '3' });
  });

  test('does not modify its input', () => {
    const value = { a: ['{{ .params.x }}'] };

    renderValue(value, context({ x: 'y' }));

    assert.deepEqual(value, { a: ['{{ .params.x }}'] });
  });

  test('does not take a parameter from the prototype chain', () => {
    const rendered = renderValue('{{ .params.toString }}', context());

    assert.deepEqual(rendered.missing, ['toString']);
  });
});

// ---- renderManifest ------------------------------------------------------------------------------

describe('renderManifest', () => {
  const injections = [
    'a\nkind: Secret',
    'x: y',
    '{ a: 1 }',
    '[1, 2]',
    '- item',
    '# not a comment',
    '&anchor x',
    '*alias',
    '---',
    '...',
    "'single'",
    '"double"',
    'yes',
    'on',
    'null',
    '~',
    '3',
    '0x1F',
    'true',
    '',
    ' leading and trailing ',
    'tab\tand\r\nCRLF',
    '{{ .params.other }}',
  ];
  const positions: Array<[string, string, (doc: Record<string, Record<string, unknown>>, value: string) => [unknown, unknown]]> = [
    ['an unquoted value', 'data:\n  key: {{ .params.v }}\n', (doc, v) => [doc.data?.key, v]],
    ['a double-quoted value', 'data:\n  key: "{{ .params.v }}"\n', (doc, v) => [doc.data?.key, v]],
    ['a single-quoted value', "data:\n  key: '{{ .params.v }}'\n", (doc, v) => [doc.data?.key, v]],
    ['text around the placeholder', 'data:\n  key: pre-{{ .params.v }}-post\n', (doc, v) => [doc.data?.key, `pre-${v}-post`]],
    ['a block literal', 'data:\n  key: |\n    {{ .params.v }}\n', (doc, v) => [doc.data?.key, `${v}\n`]],
    ['a key', 'data:\n  {{ .params.v }}: fixed\n', (doc, v) => [doc.data?.[v], 'fixed']],
    ['a flow sequence', 'data:\n  list: [{{ .params.v }}, b]\n', (doc, v) => [doc.data?.list, [v, 'b']]],
  ];
  for (const [where, manifest, locate] of positions) {
    for (const value of injections) {
      test(`keeps ${JSON.stringify(value)} a single string scalar in ${where}`, () => {
        const rendered = renderManifest(`kind: ConfigMap\n${manifest}`, context({ v: value }));

        const docs = parseAllDocuments(rendered.manifest);
        assert.equal(docs.length, 1);
        const doc = reparsed(rendered.manifest) as Record<string, Record<string, unknown>>;
        assert.deepEqual(Object.keys(doc), ['kind', 'data']);
        assert.equal(Object.keys(doc.data ?? {}).length, 1);
        const [actual, expected] = locate(doc, value);
        assert.deepEqual(actual, expected);
        assert.deepEqual(rendered.documents, [doc]);
      });
    }
  }

  const typed: Array<[string, string, TemplateContext['types'], unknown]> = [
    ['an unquoted number-typed placeholder becomes a number', 'replicas: {{ .params.v }}', { v: 'number' }, 3],
    ['an unquoted boolean-typed placeholder becomes a boolean', 'replicas: $(params.b)', { b: 'boolean' }, false],
    ['a quoted number-typed placeholder stays a string', 'replicas: "{{ .params.v }}"', { v: 'number' }, '3'],
    ['a string-typed placeholder stays a string', 'replicas: {{ .params.v }}', { v: 'string' }, '3'],
    ['an undeclared placeholder stays a string', 'replicas: {{ .params.v }}', {}, '3'],
    ['a number-typed placeholder with text around it stays a string', 'replicas: {{ .params.v }}0', { v: 'number' }, '30'],
    ['an explicitly tagged scalar keeps its tag', 'replicas: !!str {{ .params.v }}', { v: 'number' }, '3'],
    ['a number-typed value that is not a number stays a string', 'replicas: {{ .params.x }}', { x: 'number' }, 'three'],
  ];
  for (const [what, manifest, types, expected] of typed) {
    test(what, () => {
      const rendered = renderManifest(manifest, context({ v: '3', b: 'FALSE', x: 'three' }, types));

      assert.deepEqual(reparsed(rendered.manifest), { replicas: expected });
      assert.deepEqual(rendered.documents, [{ replicas: expected }]);
    });
  }

  test('never types a key', () => {
    const rendered = renderManifest('{{ .params.v }}: x', context({ v: '3' }, { v: 'number' }));

    assert.deepEqual(rendered.documents, [{ 3: 'x' }]);
    assert.equal(typeof Object.keys(rendered.documents[0] as object)[0], 'string');
    assert.match(rendered.manifest, /^"3": x/);
  });

  test('renders every document of a multi-document manifest and leaves empty documents out', () => {
    const manifest = [
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ .params.ns }}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: $(params.ns)\n',
      '',
    ].join('---\n');

    const rendered = renderManifest(manifest, context({ ns: 'team-a' }));

    assert.deepEqual(rendered.documents, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-a' } },
    ]);
    const reread = parseAllDocuments(rendered.manifest)
      .map((doc) => doc.toJS() as unknown)
      .filter((doc) => doc !== null);
    assert.deepEqual(reread, rendered.documents);
  });

  test('lists missing names and leaves their placeholders in the manifest as written', () => {
    const rendered = renderManifest('a: {{ .params.gone }}\nb: $(params.known)\nc: $(params.lost)', context({ known: 'k' }));

    assert.deepEqual(rendered.missing, ['gone', 'lost']);
    assert.deepEqual(rendered.documents, [{ a: '{{ .params.gone }}', b: 'k', c: '$(params.lost)' }]);
  });

  test('leaves placeholders in comments as written and does not count them missing', () => {
    const manifest = '# uses {{ .params.gone }}\na: $(params.v) # and $(params.gone)\n';

    const rendered = renderManifest(manifest, context({ v: 'x' }));

    assert.deepEqual(rendered.missing, []);
    assert.equal(rendered.manifest, '# uses {{ .params.gone }}\na: "x" # and $(params.gone)\n');
  });

  test('returns a manifest without placeholders unchanged, comments and layout included', () => {
    const manifest = '# keep me\nkind:   ConfigMap   # here\ndata: {a: 1,   b: [x, y]}\n---\nkind: Other\n';

    const rendered = renderManifest(manifest, context());

    assert.equal(rendered.manifest, manifest);
    assert.deepEqual(rendered.documents, [{ kind: 'ConfigMap', data: { a: 1, b: ['x', 'y'] } }, { kind: 'Other' }]);
  });

  test('leaves Helm expressions in scalars alone', () => {
    const rendered = renderManifest('values: "{{ .Values.image }}"\nname: {{ .planName }}', context());

    assert.deepEqual(rendered.documents, [{ values: '{{ .Values.image }}', name: 'nginx-plan' }]);
  });

  test('throws an error naming the YAML problem, with placeholders shown as written', () => {
    const act = (): unknown => renderManifest('a: [\n  {{ .params.v }}\nb', context({ v: '1' }));

    assert.throws(act, (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^manifest is not valid YAML: .*line \d+, column \d+/);
      assert.match(error.message, /\{\{ \.params\.v \}\}/);
      assert.doesNotMatch(error.message, /Qkdrplan/);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  });

  test('throws when a placeholder sits outside any scalar, in a tag', () => {
    const act = (): unknown => renderManifest('a: !{{ .params.v }} x', context({ v: 'str' }));

    assert.throws(act, { message: 'manifest: {{ .params.v }} is not inside a YAML value or key; placeholders are only substituted there' });
  });
});

// ---- Properties ----------------------------------------------------------------------------------

const paramName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
const awkwardText = fc.string({ unit: fc.constantFrom('{', '}', '$', '(', ')', '.', ' ', 'p', 'a', '\n', 'é', '字') });
const literal = fc.oneof(fc.string(), awkwardText, fc.string({ unit: 'grapheme' })).filter((s) => !s.includes('{{') && !s.includes('$('));
const spaces = fc.constantFrom('', ' ', '  ', '\t');
const placeholderFor = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(spaces, spaces).map(([a, b]) => `{{${a}.params.${name}${b}}}`),
    fc.constant(`$(params.${name})`),
  );

/** Alternating literal text and placeholders of known parameters, with the expected rendering. */
const templateWithParams = fc.dictionary(paramName, fc.string({ unit: 'grapheme' }), { minKeys: 1, maxKeys: 5 }).chain((params) =>
  fc
    .array(
      fc.tuple(
        literal,
        fc.constantFrom(...Object.keys(params)).chain((name) => placeholderFor(name).map((raw) => ({ name, raw }))),
      ),
      { maxLength: 6 },
    )
    .chain((pieces) =>
      literal.map((tail) => ({
        params,
        template: pieces.map(([text, { raw }]) => text + raw).join('') + tail,
        expected: pieces.map(([text, { name }]) => text + (params[name] ?? '')).join('') + tail,
      })),
    ),
);

describe('template rendering properties', () => {
  test('rendering literal text and placeholders of known parameters is the concatenation of the pieces with their values', () => {
    fc.assert(
      fc.property(templateWithParams, ({ params, template, expected }) => {
        const rendered = renderValue(template, context(params));

        assert.deepEqual(rendered, { value: expected, missing: [] });
      }),
    );
  });

  test('rendering is idempotent once no placeholders remain', () => {
    fc.assert(
      fc.property(templateWithParams, ({ params, template }) => {
        const once = renderValue(template, context(params)).value;
        fc.pre(typeof once === 'string' && findPlaceholders(once).length === 0);

        const twice = renderValue(once, context(params));

        assert.deepEqual(twice, { value: once, missing: [] });
      }),
    );
  });

  test('a JSON value without placeholders renders to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(collectPlaceholders(value, '').length === 0);

        assert.deepEqual(renderValue(value, context()).value, value);
      }),
    );
  });

  const manifestValue = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    awkwardText,
    fc.constantFrom(...['a\nkind: Secret', 'x: y', '- z', '"', "'", '#', '\\', '\u2028', '\u0085', '\ufeff', '\0', ' ', '\n', '\n\n', 'true', '1e3', 'null']),
  );
  const manifestPositions = [
    { manifest: 'kind: ConfigMap\ndata:\n  k: {{ .params.v }}\n', at: (doc: Record<string, Record<string, unknown>>) => doc.data?.k, wrap: (v: string) => v },
    {
      manifest: 'kind: ConfigMap\ndata:\n  k: "x{{ .params.v }}"\n',
      at: (doc: Record<string, Record<string, unknown>>) => doc.data?.k,
      wrap: (v: string) => `x${v}`,
    },
    {
      manifest: 'kind: ConfigMap\ndata:\n  k: |\n    {{ .params.v }}\n',
      at: (doc: Record<string, Record<string, unknown>>) => doc.data?.k,
      wrap: (v: string) => `${v}\n`,
    },
    {
      manifest: 'kind: ConfigMap\ndata:\n  list: [a, $(params.v)]\n',
      at: (doc: Record<string, Record<string, unknown>>) => (doc.data?.list as unknown[])[1],
      wrap: (v: string) => v,
    },
  ];

  test('any string value substituted into a manifest round-trips exactly', () => {
    fc.assert(
      fc.property(manifestValue, fc.constantFrom(...manifestPositions), (value, position) => {
        const rendered = renderManifest(position.manifest, context({ v: value }));

        const doc = reparsed(rendered.manifest) as Record<string, Record<string, unknown>>;
        assert.deepEqual(Object.keys(doc), ['kind', 'data']);
        assert.equal(position.at(doc), position.wrap(value));
        assert.deepEqual(rendered.documents, [doc]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a JSON value with a "__proto__" key', () => {
  test('keeps it as a key of its own, never as the prototype of the rendered object', () => {
    const value: unknown = JSON.parse('{"__proto__": {"polluted": "$(params.x)"}, "a": 1}');

    const rendered = renderValue(value, context({ x: 'yes' })).value as Record<string, unknown>;

    assert.deepEqual(Object.keys(rendered), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(rendered), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(rendered, '__proto__')?.value, { polluted: 'yes' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
