// ESLint flat config: type-aware rules plus the size limits of docs/contributing.md
// (complexity ≤ 10, ≤ 20 statements, ≤ 4 params per function; files mostly under ~300 lines).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const FUNCTIONS = ['cancel', 'plan-stages', 'revert', 'run-action', 'validate-plan', 'validate-workflow'];
/** What the product (functions/, shared/) never imports. */
const OUTSIDE_PRODUCT = ['**/local/*', '**/cli/*', '**/bench/*', '**/test/*'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.drplan/', 'knative/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      complexity: ['error', 10],
      'max-statements': ['error', 20],
      'max-params': ['error', 4],
      'max-depth': ['error', 4],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use `as const` objects instead of enum.' }],
    },
  },
  {
    // shared/ is below the functions: it never imports one of them, nor the local stack, the CLI, the benches or the tests.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: [...OUTSIDE_PRODUCT, '**/functions/*'], message: 'shared/ never imports functions/, local/, cli/, bench/ or test/.' }] },
      ],
    },
  },
  // A function imports shared/ and its own folder: never another function, the local stack, the CLI, the benches or the tests.
  ...FUNCTIONS.map((name) => ({
    files: [`functions/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...OUTSIDE_PRODUCT, ...FUNCTIONS.filter((other) => other !== name).map((other) => `**/${other}/*`)],
              message: `functions/${name} imports only shared/ and its own folder.`,
            },
          ],
        },
      ],
    },
  })),
  {
    // Tests: one behaviour per test, but table-driven suites and fixtures need room.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-statements': 'off',
      'max-lines': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
