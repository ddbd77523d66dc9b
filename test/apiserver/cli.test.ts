/** `drplan apiserver`: one ready line, serves until SIGTERM, keeps its state; usage errors exit 2. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { main } from '../../cli/main.js';

const bin = fileURLToPath(new URL('../../bin/drplan.mjs', import.meta.url));

function io(): { stdout: string[]; stderr: string[]; io: Parameters<typeof main>[1] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t) }, cwd: tmpdir() } };
}

describe('drplan apiserver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drplan-cli-apiserver-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints one ready line, serves, and stops on SIGTERM keeping its state', async () => {
    // Prepare
    const child = spawn(process.execPath, [bin, 'apiserver', '--port', '0', '--state-dir', dir, '--no-job-controller'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Act
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const url = /plain HTTP: (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] ?? '';
    const health = await fetch(`${url}/healthz`);
    child.kill('SIGTERM');
    const code = await exited;
    // Assess
    assert.match(line, /^drplan apiserver: ready at https:\/\/127\.0\.0\.1:\d+ \(plain HTTP: http:\/\/127\.0\.0\.1:\d+\); kubeconfig: .*kubeconfig$/);
    assert.equal(health.status, 200);
    assert.equal(code, 0);
    assert.match(stderr.join(''), /stopped \(SIGTERM\)/);
    assert.equal(existsSync(join(dir, 'snapshot.json')), true);
    assert.equal(existsSync(join(dir, 'kubeconfig')), true);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a port that is not a number', ['--port', 'http'], /--port must be a port number, not "http"/],
    ['an unknown option', ['--verbose'], /unknown option "--verbose"/],
    ['an option without its value', ['--state-dir'], /--state-dir needs a value/],
  ];
  for (const [name, args, message] of usage) {
    test(`${name} is a usage error (exit 2)`, async () => {
      const captured = io();
      const code = await main(['apiserver', ...args], captured.io);
      assert.equal(code, 2);
      assert.match(captured.stderr.join(''), message);
    });
  }
});
