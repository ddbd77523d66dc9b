import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Io } from '../../cli/io.js';
import { isNotable } from '../../cli/commands/dev.js';
import { main } from '../../cli/main.js';
import { openEventing } from '../../local/eventing/index.js';
import { FIXTURE_FUNCTIONS, FIXTURE_MANIFESTS, ROOT, broker, manifestsOf, send, startSubscriber, tempDir, trigger, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, cwd: ROOT };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('drplan dev', () => {
  const usage: { args: string[]; message: string }[] = [
    { args: ['--port', 'x'], message: 'drplan dev: --port must be a port number, not "x"' },
    { args: ['--tick-seconds', '0'], message: 'drplan dev: --tick-seconds (or DRPLAN_TICK_SECONDS) must be a positive number, not "0"' },
    { args: ['--replicas', 'run-action'], message: 'drplan dev: --replicas expects NAME=N with N ≥ 1, not "run-action"' },
    { args: ['--colour'], message: 'drplan dev: unknown option "--colour"' },
    { args: ['--state-dir'], message: 'drplan dev: --state-dir needs a value' },
  ];
  for (const { args, message } of usage) {
    it(`exits 2 with the message and the usage for ${args.join(' ')}`, async () => {
      // Act
      const run = await runCli(['dev', ...args]);

      // Assess
      assert.equal(run.code, 2);
      assert.ok(run.stderr.startsWith(`${message}\nUsage: drplan dev `), run.stderr);
    });
  }

  it('starts the whole stack in the foreground, prints where it is, and stops cleanly on Ctrl-C', async () => {
    // Prepare
    const state = tempDir('dev-cli');
    cleanups.push(state.remove);
    const args = [
      'bin/drplan.mjs',
      'dev',
      '--state-dir',
      state.path,
      '--port',
      '0',
      '--manifests',
      FIXTURE_MANIFESTS,
      '--bundles',
      FIXTURE_FUNCTIONS,
      '--no-job-controller',
    ];
    // its own process group, so that SIGINT reaches it and its function processes as Ctrl-C does
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    cleanups.push(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Act
    await waitFor(`the ready banner (stderr: ${stderr})`, () => (stdout.includes('Stop with Ctrl-C') ? true : undefined), 30_000);
    process.kill(-(child.pid ?? 0), 'SIGINT');
    const code = await exited;

    // Assess
    const kubeconfig = join(state.path, 'kubeconfig');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^drplan dev: ready\n {2}API server {3}https:\/\/127\.0\.0\.1:\d+\n/);
    assert.ok(stdout.includes(`  kubeconfig   ${kubeconfig}\n`), stdout);
    assert.match(stdout, /\n {2}broker {7}eventing-test\/events {2}http:\/\/127\.0\.0\.1:\d+\/eventing-test\/events\n/);
    assert.match(stdout, /\n {2}function {5}eventing-test\/flaky {2}http:\/\/127\.0\.0\.1:\d+ {2}\(2 replicas\)\n/);
    assert.ok(stdout.includes(`  export KUBECONFIG=${kubeconfig}\n`));
    assert.ok(existsSync(kubeconfig));
    assert.ok(stderr.endsWith(`drplan dev: stopping (SIGINT)\ndrplan dev: stopped; state kept in ${state.path}\n`), stderr);
    assert.ok(!stderr.includes('restarting'), `no function is restarted while stopping:\n${stderr}`);
  });
});

describe('which function output drplan dev shows without --verbose', () => {
  const cases: { line: string; shown: boolean }[] = [
    { line: '{"level":30,"msg":"function ready"}', shown: false },
    { line: '{"level":40,"msg":"a reply could not be sent"}', shown: true },
    { line: '{"level":50,"msg":"action failed"}', shown: true },
    { line: '{"level":"error","msg":"text levels too"}', shown: true },
    { line: '{"level":"info","msg":"not this"}', shown: false },
    { line: 'TypeError: Function must export a handle function', shown: true },
    { line: '{"level":50,"req":{"method":"GET","url":"/health/readiness"},"res":{"statusCode":503},"msg":"res.setHeader is not a function"}', shown: false },
  ];
  for (const { line, shown } of cases) {
    it(`${shown ? 'shows' : 'hides'} ${line}`, () => {
      // Act
      const result = isNotable(line);

      // Assess
      assert.equal(result, shown);
    });
  }
});

describe('drplan replay against the local eventing', () => {
  it('re-delivers the chosen events through the running broker', async () => {
    // Prepare
    const state = tempDir('replay-cli');
    cleanups.push(state.remove);
    const target = await startSubscriber();
    cleanups.push(() => target.close());
    const eventing = await openEventing({
      manifests: manifestsOf([broker('events'), trigger('t', { subscriber: { uri: target.url } })]),
      stateDir: join(state.path, 'eventing'),
    });
    cleanups.push(() => eventing.stop());
    await eventing.start();
    const url = eventing.brokerUrl('eventing-test', 'events');
    for (const type of ['com.example.a', 'com.example.b', 'com.example.c']) await send(url, { type });
    await eventing.idle();
    const ids = target.received.map((r) => r.event.attributes.id ?? '');
    target.received.length = 0;

    // Act
    const run = await runCli(['replay', '--from-id', ids[1] ?? '', '--to-id', ids[2] ?? '', '--state-dir', state.path]);
    await eventing.idle();

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.startsWith('replayed 2 events:\n'), run.stdout);
    assert.deepEqual(
      target.received.map((r) => r.event.attributes.type),
      ['com.example.b', 'com.example.c'],
    );
  });

  it('answers a replay range it cannot use with 400 and the reason', async () => {
    // Prepare
    const state = tempDir('replay-bad');
    cleanups.push(state.remove);
    const eventing = await openEventing({ manifests: manifestsOf([broker('events')]), stateDir: state.path });
    cleanups.push(() => eventing.stop());
    await eventing.start();

    // Act
    const answers = await Promise.all(
      [{ fromId: 'nope' }, { since: 3 }, { offset: '0' }].map(async (range) => {
        const response = await fetch(`${eventing.ingressUrl}/_replay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(range),
        });
        return `${response.status} ${(await response.text()).trim()}`;
      }),
    );

    // Assess
    assert.deepEqual(answers, [
      '400 fromId: no event with id "nope" in the event log',
      '400 since: must be a string',
      '400 offset: not a replay range field (since, until, fromId, toId)',
    ]);
  });
});
