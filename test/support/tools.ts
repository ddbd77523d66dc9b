/**
 * The programs outside Node that some tests drive. A test that needs one skips with a reason naming
 * the program and the package it comes from; `.ci/run` installs each of them, and the test runner
 * fails a CI run that skipped anything, so CI never passes on a suite that did not run.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each tool the suite uses, with the Debian package that provides it. */
const TOOLS = {
  kubectl: 'kubernetes-client',
} as const;

export type Tool = keyof typeof TOOLS;

/** The tool's path on PATH, or undefined. */
export function findTool(tool: Tool): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '')) {
    const path = join(dir, tool);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** `false` when the tool is on PATH; otherwise the skip reason that names it. */
export function needsTool(tool: Tool): string | false {
  return findTool(tool) === undefined ? `${tool} is not on PATH (Debian package ${TOOLS[tool]}; .ci/run installs it)` : false;
}
