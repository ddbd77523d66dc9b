/**
 * A fresh clone stands on its own: no file of the repository refers to a path above its root or cites
 * a document that is not in it, and the files vendored from other projects are all there.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLUSTERNET_CRDS, KNATIVE_CRDS, ORIGINAL_CRDS, ORIGINAL_MANIFESTS, REPO_ROOT } from '../support/fixtures.js';
import { findingsIn, PLANNING_NOTES, scanRepository, type Finding } from '../support/repository-paths.js';

const VENDORED = 'test/fixtures/vendored/';
const options = {
  foreignDocuments: (file: string): boolean => file.startsWith(VENDORED),
  examples: new Set<string>(['test/support/repository-paths.ts', 'test/repository/self-contained.test.ts']),
};
const UP = '../';
const markdown = new Set(['README.md', 'user-guide.md']);
const findings = (file: string, text: string): string[] => findingsIn({ root: REPO_ROOT, markdown, options }, file, text).map((f) => f.why);

describe('the checker of references outside the repository', () => {
  const refused = [
    { name: 'an import that climbs above the root', file: 'test/unit/a.test.ts', text: `import x from '${UP.repeat(3)}elsewhere/x.js';` },
    { name: 'a new URL relative to the file that climbs above the root', file: 'test/a.ts', text: `new URL('${UP.repeat(2)}shared-folder/', import.meta.url)` },
    { name: 'a Markdown link that climbs above the root', file: 'docs/a.md', text: `see [notes](${UP.repeat(2)}notes/x.md)` },
    { name: 'a join from the repository root that climbs', file: 'test/a.ts', text: "const d = join(repoRoot, '..', 'shared');" },
    { name: "a join from the file's folder with one .. too many", file: 'test/unit/a.ts', text: "const d = join(import.meta.dirname, '..', '..', '..', 'x');" },
    { name: 'a citation of a planning note outside the repository', file: 'shared/a.ts', text: `/** as ${PLANNING_NOTES[0]} §2 says */` },
    { name: 'a Markdown file that is not in the repository', file: 'docs/a.md', text: 'the fields are in FEATURES.md' },
  ];
  for (const { name, file, text } of refused) {
    test(`finds ${name}`, () => {
      assert.notDeepEqual(findings(file, text), []);
    });
  }

  const accepted = [
    { name: 'an import inside the repository', file: 'functions/cancel/index.ts', text: `import { x } from '${UP.repeat(2)}shared/runtime/routes.js';` },
    {
      name: "a join from the file's folder up to the root",
      file: 'shared/api/gen.ts',
      text: "const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');",
    },
    { name: 'a link to a document of the repository', file: 'docs/adr/0001.md', text: `[guide](${UP}user-guide.md), [readme](${UP.repeat(2)}README.md)` },
    { name: 'a URL that ends in .md', file: 'docs/a.md', text: 'https://example.com/docs/conventions.md#types' },
  ];
  for (const { name, file, text } of accepted) {
    test(`accepts ${name}`, () => {
      assert.deepEqual(findings(file, text), []);
    });
  }
});

describe('the repository', () => {
  test('no file refers to a path outside it or cites a document that is not in it', () => {
    const found = scanRepository(REPO_ROOT, options);

    const lines = found.map((f: Finding) => `${f.file}:${f.line}: ${f.why}\n    ${f.text}`);
    assert.deepEqual(lines, []);
  });

  test('has every vendored folder the tests read, each with a README naming its source and licence', () => {
    for (const dir of [ORIGINAL_CRDS, ORIGINAL_MANIFESTS, KNATIVE_CRDS, CLUSTERNET_CRDS]) {
      assert.ok(existsSync(dir), `${dir} is missing`);
      assert.ok(
        readdirSync(dir, { recursive: true }).some((name) => String(name).endsWith('.yaml')),
        `${dir} has no YAML`,
      );
    }
    for (const dir of [join(ORIGINAL_CRDS, '..'), KNATIVE_CRDS, CLUSTERNET_CRDS]) {
      assert.ok(existsSync(join(dir, 'README.md')), `${dir} has no README.md`);
    }
  });

  test('serves the Clusternet CRDs in the local API server exactly as Clusternet publishes them', () => {
    const served = join(REPO_ROOT, 'local', 'apiserver', 'crds');
    const files = readdirSync(served).filter((name) => name.endsWith('.yaml'));

    assert.deepEqual(files, ['apps.clusternet.io_localizations.yaml', 'apps.clusternet.io_subscriptions.yaml']);
    for (const file of files) {
      assert.ok(readFileSync(join(served, file)).equals(readFileSync(join(CLUSTERNET_CRDS, file))), `${file} differs from the vendored copy`);
    }
  });
});
