#!/usr/bin/env node
// Bundles each function (functions/<name>/index.ts) into one ES module, dist/<name>/index.js, that
// faas-js-runtime loads as is: `faas-js-runtime dist/<name>/index.js`. Why ESM, the banner, keepNames
// and no minification: docs/adr/0007-bundle-format.md.
//
//   node build.mjs              all functions
//   node build.mjs cancel ...   only those
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const functionsDir = join(root, 'functions');
const distDir = join(root, 'dist');

// CommonJS dependencies call require(), __filename and __dirname, which an ES module lacks.
const BANNER = [
  "import { createRequire as __drplanCreateRequire } from 'node:module';",
  "import { fileURLToPath as __drplanFileURLToPath } from 'node:url';",
  "import { dirname as __drplanDirname } from 'node:path';",
  'const require = __drplanCreateRequire(import.meta.url);',
  'const __filename = __drplanFileURLToPath(import.meta.url);',
  'const __dirname = __drplanDirname(__filename);',
].join('\n');

function functionNames() {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** One esbuild run for all of them: shared modules are parsed once, each output stays self-contained. */
async function bundle(names) {
  for (const name of names) rmSync(join(distDir, name), { recursive: true, force: true });
  const result = await build({
    entryPoints: Object.fromEntries(names.map((name) => [`${name}/index`, join(functionsDir, name, 'index.ts')])),
    outdir: distDir,
    bundle: true,
    splitting: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    keepNames: true,
    minify: false,
    sourcemap: false,
    legalComments: 'eof',
    banner: { js: BANNER },
    logLevel: 'silent',
  });
  const sizes = names.map((name) => {
    const outDir = join(distDir, name);
    // faas-js-runtime decides ESM vs CommonJS from the nearest package.json, as Node does.
    writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
    const bytes = readFileSync(join(outDir, 'index.js'));
    return { name, bytes: bytes.length, gzip: gzipSync(bytes).length };
  });
  return { warnings: result.warnings, sizes };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function report(results) {
  const rows = [['function', 'bundle', 'gzip'], ...results.map((r) => [r.name, kib(r.bytes), kib(r.gzip)])];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

async function main() {
  const known = functionNames();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`no such function: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const names = wanted.length > 0 ? wanted : known;
  if (names.length === 0) throw new Error('no functions/<name>/index.ts to bundle');
  const { warnings, sizes } = await bundle(names);
  for (const warning of warnings) console.warn(`warning: ${warning.location?.file ?? ''} ${warning.text}`);
  report(sizes);
}

main().catch((error) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
