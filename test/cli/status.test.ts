import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { Kinds } from '../../shared/api/index.js';
import {
  countWatchRequests,
  createExecution,
  createFailover,
  eventually,
  failoverStatus,
  key,
  setExecutionStatus,
  startCluster,
  type Run,
  type RunOptions,
  type TestCluster,
} from './helpers.js';

let cluster: TestCluster;
let counter = 0;

before(async () => {
  cluster = await startCluster();
  await createFailover(cluster.kube, 'failover');
});
after(async () => {
  await cluster.dispose();
});

/** A new execution of the failover plan with this status. */
async function executionWith(status: Record<string, unknown>): Promise<string> {
  counter += 1;
  const name = `failover-run-${counter}`;
  await createExecution(cluster.kube, name, { planRef: 'failover', operationType: 'Execute' });
  await setExecutionStatus(cluster.kube, name, status);
  return name;
}

const HALF_WAY = { 'check/0/probe': 'Succeeded', 'drain/0/maintenance': 'Succeeded', 'drain/0/scale-down': 'Running', 'promote/0/fence': 'Failed' };

/** `drplan status <name> --watch`, and a promise that resolves once it has shown the first state. */
function watch(name: string, options: RunOptions = {}, extra: readonly string[] = []): { run: Promise<Run>; shown: Promise<void> } {
  let shown = (): void => undefined;
  const first = new Promise<void>((resolve) => (shown = resolve));
  const run = cluster.cli(['status', name, '--watch', ...extra], {
    ...options,
    onStdout: (text) => {
      options.onStdout?.(text);
      shown();
    },
  });
  return { run, shown: first };
}

const ESC = '\u001b';

/** Removes the clock from the lines of a live log. */
const withoutClock = (text: string): string[] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''));

describe('drplan status', () => {
  test('shows the tree of stages, workflows and actions with phases, attempts, durations and progress bars', async () => {
    const name = await executionWith(failoverStatus('Failed', HALF_WAY, 'stage promote failed'));

    const run = await cluster.cli(['status', name]);

    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], `DRPlanExecution default/${name}  Execute of DRPlan failover`);
    assert.equal(lines[1], 'Phase     ✘ Failed');
    assert.equal(lines[2], 'Started   2025-11-26 10:00:00Z   finished 2025-11-26 10:01:05Z   took 1m5s');
    assert.equal(lines[3], 'Progress  [#######-------------] 3/8 actions  37%');
    assert.equal(lines[4], 'Message   stage promote failed');
    const body = run.stdout.split('\n\n')[1] ?? '';
    assert.match(body, /^✔ check +Succeeded\n/);
    assert.match(body, /\n {2}└─ ✔ default\/health +Succeeded +\[#{20}\] 1\/1\n/);
    assert.match(body, /\n {8}└─ ✔ probe +Succeeded +attempt 1 {2}3s\n/);
    assert.match(body, /\n▶ drain +Running +\(after check\)\n/);
    assert.match(body, /\n {2}└─ ▶ default\/drain +Running +\[#{10}-{10}\] 1\/2\n/);
    assert.match(body, /\n {8}├─ ✔ maintenance +Succeeded +attempt 1 {2}3s\n/);
    assert.match(body, /\n {8}└─ ▶ scale-down +Running +attempt 1 {2}\S+\n/);
    assert.match(body, /\n· switch +Pending +\(parallel, after drain, promote\)\n {2}├─ · default\/config +Pending +\[-{20}\] 0\/1\n/);
  });

  test('-o json prints the execution as a document: names, phases, progress and the whole tree', async () => {
    const name = await executionWith(failoverStatus('Running', HALF_WAY));

    const run = await cluster.cli(['status', name, '-o', 'json']);

    assert.equal(run.code, 0, run.stderr);
    const document = JSON.parse(run.stdout) as {
      name: string;
      plan: string;
      operation: string;
      phase: string;
      progress: unknown;
      stages: Array<{
        name: string;
        phase: string;
        parallel: boolean;
        dependsOn: string[];
        progress: unknown;
        workflows: Array<{ workflow: string; phase: string; actions: Array<Record<string, unknown>> }>;
      }>;
    };
    assert.deepEqual([document.name, document.plan, document.operation, document.phase], [name, 'failover', 'Execute', 'Running']);
    assert.deepEqual(document.progress, { done: 3, total: 8 });
    assert.deepEqual(
      document.stages.map((stage) => [stage.name, stage.phase, stage.parallel, stage.dependsOn]),
      [
        ['check', 'Succeeded', false, []],
        ['drain', 'Running', false, ['check']],
        ['promote', 'Failed', false, ['check']],
        ['switch', 'Pending', true, ['drain', 'promote']],
        ['verify', 'Pending', false, ['switch']],
      ],
    );
    assert.deepEqual(document.stages[2]?.progress, { done: 1, total: 2 });
    const fence = document.stages.at(2)?.workflows.at(0)?.actions.at(0);
    assert.deepEqual(fence, {
      name: 'fence',
      path: 'promote/0/fence',
      phase: 'Failed',
      startTime: '2025-11-26T10:00:00Z',
      completionTime: '2025-11-26T10:00:03Z',
      duration: '3s',
      durationSeconds: 3,
      attempt: 1,
    });
  });

  test('-o yaml prints the same document as -o json', async () => {
    const name = await executionWith(failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));

    const yaml = await cluster.cli(['status', name, '-o', 'yaml']);
    const json = await cluster.cli(['status', name, '-o', 'json']);

    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
  });

  test('an unknown execution is named with its namespace', async () => {
    const run = await cluster.cli(['status', 'failover-nope']);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'drplan status: DRPlanExecution "failover-nope" not found in namespace "default" (kubectl get drplanexecutions -n default lists them)\n',
    );
  });

  test('an output format other than json or yaml is a usage error', async () => {
    const run = await cluster.cli(['status', 'x', '-o', 'xml']);

    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'drplan status: -o must be json or yaml, not "xml"\n');
  });
});

describe('drplan status --watch', () => {
  test('piped, prints one plain line per transition as the status changes, and ends when the execution finishes', async () => {
    // Prepare
    const name = await executionWith(failoverStatus('Running', { 'check/0/probe': 'Running' }));

    // Act: the test plays the functions while the CLI watches
    const watching = watch(name);
    await watching.shown;
    await setExecutionStatus(
      cluster.kube,
      name,
      failoverStatus('Running', { 'check/0/probe': 'Succeeded', 'drain/0/maintenance': 'Running', 'promote/0/fence': 'Running' }),
    );
    await setExecutionStatus(
      cluster.kube,
      name,
      failoverStatus('Failed', { 'check/0/probe': 'Succeeded', 'drain/0/maintenance': 'Succeeded', 'promote/0/fence': 'Failed' }, 'stage promote failed'),
    );
    const run = await watching.run;

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(withoutClock(run.stdout), [
      `execution default/${name} Running (0/8 actions)`,
      'stage check Running',
      'workflow check/0 default/health Running (0/1)',
      'action check/0/probe Running (attempt 1)',
      'stage check Succeeded',
      'workflow check/0 default/health Succeeded (1/1)',
      'action check/0/probe Succeeded (attempt 1, 3s)',
      'stage drain Running',
      'workflow drain/0 default/drain Running (0/2)',
      'action drain/0/maintenance Running (attempt 1)',
      'stage promote Running',
      'workflow promote/0 default/database Running (0/2)',
      'action promote/0/fence Running (attempt 1)',
      'action drain/0/maintenance Succeeded (attempt 1, 3s)',
      'stage promote Failed',
      'workflow promote/0 default/database Failed (1/2)',
      'action promote/0/fence Failed (attempt 1, 3s)',
      `execution default/${name} Failed (3/8 actions, 1m5s): stage promote failed`,
    ]);
  });

  test('with -o json, prints one compact document per change', async () => {
    const name = await executionWith(failoverStatus('Running', { 'check/0/probe': 'Running' }));

    const watching = watch(name, {}, ['-o', 'json']);
    await watching.shown;
    await setExecutionStatus(cluster.kube, name, failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));
    const run = await watching.run;

    assert.equal(run.code, 0, run.stderr);
    const documents = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { phase: string; progress: unknown });
    assert.deepEqual(
      documents.map((document) => document.phase),
      ['Running', 'Succeeded'],
    );
    assert.deepEqual(
      documents.map((document) => document.progress),
      [
        { done: 0, total: 8 },
        { done: 1, total: 8 },
      ],
    );
  });

  test('of a finished execution prints where it ended and returns at once', async () => {
    const name = await executionWith(failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));

    const run = await cluster.cli(['status', name, '--watch']);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(withoutClock(run.stdout).slice(0, 1), [`execution default/${name} Succeeded (1/8 actions, 1m5s)`]);
  });

  test('on a terminal, redraws the tree in place as the status changes', async () => {
    const name = await executionWith(failoverStatus('Running', { 'check/0/probe': 'Running' }));
    const frames: string[] = [];

    const noColor = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    const watching = watch(name, { tty: { columns: 120, rows: 60 }, onStdout: (text) => frames.push(text) });
    await watching.shown;
    await setExecutionStatus(cluster.kube, name, failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));
    const run = await watching.run;
    if (noColor !== undefined) process.env.NO_COLOR = noColor;

    assert.equal(run.code, 0, run.stderr);
    const redraws = frames.filter((frame) => frame.includes('DRPlanExecution'));
    assert.ok(redraws.length >= 2, `expected at least two frames, got ${redraws.length}`);
    const first = redraws[0] ?? '';
    const lastFrame = redraws.at(-1) ?? '';
    assert.ok(!first.startsWith('\u001b['), 'the first frame is drawn where the cursor is');
    const up = `${ESC}[${first.split('\n').length - 1}F${ESC}[0J`;
    assert.ok(lastFrame.startsWith(up), 'later frames move up over the previous one and clear it');
    assert.ok(lastFrame.includes(`Phase     ${ESC}[32m✔ Succeeded${ESC}[0m`), 'the phase is coloured');
  });

  test('ends with an error when the execution is deleted while watched', async () => {
    const name = await executionWith(failoverStatus('Running', {}));

    const watching = watch(name);
    await watching.shown;
    await cluster.kube.remove(key(Kinds.execution, name));
    const run = await watching.run;

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan status: DRPlanExecution "${name}" was deleted\n`);
  });
});

describe('following an execution for longer than one watch', () => {
  test('resumes the watch the server ends, from where it was, and misses no change', { timeout: 20_000 }, async () => {
    // Prepare: a server that ends every watch after one second
    const short = await startCluster({ watchTimeoutSeconds: 1 });
    try {
      await createFailover(short.kube, 'failover');
      await createExecution(short.kube, 'failover-long', { planRef: 'failover', operationType: 'Execute' });
      await setExecutionStatus(short.kube, 'failover-long', failoverStatus('Running', { 'check/0/probe': 'Running' }));

      // Act: each change after the watch before it has ended and the CLI has watched again
      const watches = countWatchRequests();
      const watching = short.cli(['status', 'failover-long', '--watch']);
      try {
        await eventually(async () => Promise.resolve(watches.count() >= 2 ? true : undefined), 'the CLI to watch a second time', 15_000);
        await setExecutionStatus(short.kube, 'failover-long', failoverStatus('Running', { 'check/0/probe': 'Succeeded' }));
        const seen = watches.count();
        await eventually(async () => Promise.resolve(watches.count() > seen ? true : undefined), 'the CLI to watch again', 15_000);
        await setExecutionStatus(short.kube, 'failover-long', failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));
      } finally {
        watches.stop();
      }
      const run = await watching;

      // Assess
      assert.equal(run.code, 0, run.stderr);
      const lines = withoutClock(run.stdout);
      assert.ok(lines.includes('action check/0/probe Succeeded (attempt 1, 3s)'), run.stdout);
      assert.equal(lines.at(-1), 'execution default/failover-long Succeeded (1/8 actions, 1m5s)');
    } finally {
      await short.dispose();
    }
  });
});
