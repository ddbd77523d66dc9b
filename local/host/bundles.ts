/**
 * Keeps `dist/` in step with the sources before the host runs the bundles: `node build.mjs` when a
 * function has no bundle yet, or when any file under `functions/` or `shared/` (or build.mjs itself)
 * is newer than the oldest bundle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), 0);
}

/** The functions with an entry file (`functions/<name>/index.ts`). */
export function functionNames(root: string): string[] {
  const dir = join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** Why the bundles must be rebuilt, or undefined when they are up to date. */
export function staleBundles(root: string): string | undefined {
  const bundles = functionNames(root).map((name) => join(root, 'dist', name, 'index.js'));
  const missing = bundles.filter((path) => !existsSync(path));
  if (missing.length > 0) return `${missing.length} bundle(s) missing`;
  if (bundles.length === 0) return undefined;
  const oldest = Math.min(...bundles.map((path) => statSync(path).mtimeMs));
  const newestSource = Math.max(newestMtime(join(root, 'functions')), newestMtime(join(root, 'shared')), newestMtime(join(root, 'build.mjs')));
  return newestSource > oldest ? 'sources changed since the last build' : undefined;
}

/** Builds the bundles when they are missing or stale; throws with the build's output when it fails. */
export function ensureBundles(root: string, say: (line: string) => void): void {
  const reason = staleBundles(root);
  if (reason === undefined) return;
  say(`building the function bundles (${reason}): node build.mjs`);
  const result = spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node build.mjs failed:\n${result.stdout}${result.stderr}`);
}
