/** The real kubectl, run against a kubeconfig (tests that use it skip with `needsTool('kubectl')`). */
import { execFile } from 'node:child_process';
import { findTool } from './tools.js';

const KUBECTL = findTool('kubectl') ?? 'kubectl';

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl --kubeconfig <kubeconfig> [--cache-dir <cacheDir>] <args…>`; never rejects: the exit code says how it went. */
export function runKubectl(args: readonly string[], options: { kubeconfig: string; cacheDir?: string; timeoutMs?: number }): Promise<KubectlRun> {
  const cache = options.cacheDir === undefined ? [] : ['--cache-dir', options.cacheDir];
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', options.kubeconfig, ...cache, ...args], { timeout: options.timeoutMs ?? 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}
