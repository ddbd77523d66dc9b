/**
 * The drill `npm start` runs, end to end through the real broker and triggers: the local stack
 * (API server, the six bundles under the function host, the eventing playing knative/) and the demo
 * target, the failover example applied, executed and reverted. One drill for the whole file; each test
 * checks one thing it did, reading the API server and the demo target directly where it can.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DrillReport, Environment } from '../../local/drill.js';
import type { RecordedRequest } from '../../local/demo-target/index.js';
import type { ActionStatus } from '../../shared/api/index.js';
import { localStackOnly } from '../support/e2e-cluster.js';

const NAMESPACE = 'shop';
const DR = 'dr.bkbcs.tencent.com/v1alpha1';

const actionsOf = (report: { status: DrillReport['execute']['status'] }): ActionStatus[] =>
  (report.status.stageStatuses ?? []).flatMap((stage) => (stage.workflowExecutions ?? []).flatMap((workflow) => workflow.actionStatuses ?? []));

/** The request whose method, path (and body, when given) match; fails when there is not exactly one. */
function only(requests: readonly RecordedRequest[], method: string, path: string, body?: string): RecordedRequest {
  const found = requests.filter((r) => r.method === method && r.path === path && (body === undefined || r.body.replace(/\s/g, '') === body));
  assert.equal(found.length, 1, `${method} ${path} ${body ?? ''}: ${found.length} requests`);
  const [request] = found;
  assert.ok(request !== undefined);
  return request;
}

/** Whether two requests were being processed by the target at the same time. */
function overlap(a: RecordedRequest, b: RecordedRequest): number {
  return Math.min(a.finishedMs ?? 0, b.finishedMs ?? 0) - Math.max(a.startedMs, b.startedMs);
}

describe('the failover drill through the real broker and triggers', { skip: localStackOnly('the drill starts its own local stack'), timeout: 150_000 }, () => {
  let env: Environment | undefined;
  let report: DrillReport;
  const lines: string[] = [];
  const running = (): Environment => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    const drill = await import('../../local/drill.js');
    env = await drill.startEnvironment({ tickSeconds: 2, behaviours: drill.DRILL_BEHAVIOURS, log: () => undefined });
    report = await drill.runDrillIn(env, { exampleDir: drill.DEFAULT_EXAMPLE, timeoutMs: 60_000, out: (line) => lines.push(line) });
  });

  after(async () => {
    await env?.stop();
  });

  test("drplan report shows the execute against the plan's RTO: the stages, the critical path, the objective met", async () => {
    const { runCli } = await import('../cli/helpers.js');
    const kubeconfig = running().stack.kubeconfigPath;
    const text = await runCli(['report', report.execute.name, '-n', report.execute.namespace, '--kubeconfig', kubeconfig]);
    const markdown = await runCli(['report', report.execute.name, '-n', report.execute.namespace, '--kubeconfig', kubeconfig, '-o', 'markdown']);
    const json = await runCli(['report', report.execute.name, '-n', report.execute.namespace, '--kubeconfig', kubeconfig, '-o', 'json']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^objective: met — \S+ of the 15m0s RTO/m);
    assert.match(text.stdout, /^critical path: precheck .*→ .*verify/m);
    assert.match(markdown.stdout, /^- Objective: met — /m);
    assert.match(markdown.stdout, /^\| precheck \| \| \| Succeeded \|/m);
    const parsed = JSON.parse(json.stdout) as { objective: { met: boolean; rtoMs: number }; stages: unknown[] };
    assert.deepEqual({ met: parsed.objective.met, rtoMs: parsed.objective.rtoMs, stages: parsed.stages.length }, { met: true, rtoMs: 900_000, stages: 5 });
  });

  test('the execute ends Succeeded with every action Succeeded', () => {
    assert.equal(report.execute.phase, 'Succeeded', report.execute.message);
    const actions = actionsOf(report.execute);
    assert.equal(actions.length, 9);
    assert.deepEqual(
      actions.filter((a) => a.phase !== 'Succeeded').map((a) => `${a.name}: ${a.phase}`),
      [],
    );
  });

  test('the revert ends Succeeded: the HTTP checks without a rollback are Skipped, every other step Succeeded', () => {
    assert.equal(report.revert?.phase, 'Succeeded', report.revert?.message);
    const steps = actionsOf(report.revert);
    const skipped = steps
      .filter((s) => s.phase === 'Skipped')
      .map((s) => s.name)
      .sort();
    assert.deepEqual(skipped, ['precheck.0.check-health', 'precheck.1.check-health', 'verify.0.secondary-serves-traffic']);
    assert.equal(steps.filter((s) => s.phase === 'Succeeded').length, 6);
  });

  test('each Idempotency-Key reaches the demo target exactly once, and nothing is a duplicate', async () => {
    const drill = await import('../../local/drill.js');
    assert.ok(report.requests.length > 0);
    assert.ok(
      report.requests.every((r) => r.idempotencyKey !== undefined),
      'a request without Idempotency-Key',
    );
    assert.deepEqual(drill.repeatedKeys(report.requests), []);
    assert.equal(report.duplicates, 0);
    assert.deepEqual(
      report.requests.filter((r) => r.outcome !== 'handled' && r.outcome !== 'injected').map((r) => r.outcome),
      [],
    );
  });

  test('the failback undoes the independent stages drain-primary and promote-database at the same time', () => {
    const unfenced = only(report.requests, 'POST', '/db/unfence');
    const maintenanceOff = only(report.requests, 'POST', '/primary/maintenance', '{"enabled":false}');
    assert.ok(
      overlap(unfenced, maintenanceOff) > 0,
      `unfence ${unfenced.startedMs}–${unfenced.finishedMs ?? '?'}, maintenance off ${maintenanceOff.startedMs}–${maintenanceOff.finishedMs ?? '?'}`,
    );
  });

  test('the rollback requests reach the target after what they undo, in reverse order', () => {
    const switched = only(report.requests, 'POST', '/traffic/switch');
    const switchedBack = only(report.requests, 'POST', '/traffic/switch-back');
    const fenced = only(report.requests, 'POST', '/db/fence');
    const unfenced = only(report.requests, 'POST', '/db/unfence');
    const maintenanceOn = only(report.requests, 'POST', '/primary/maintenance', '{"enabled":true}');
    const maintenanceOff = only(report.requests, 'POST', '/primary/maintenance', '{"enabled":false}');
    assert.ok(switched.seq < switchedBack.seq && fenced.seq < unfenced.seq && maintenanceOn.seq < maintenanceOff.seq);
    // The switch completed last, so it is undone first.
    assert.ok(switchedBack.seq < maintenanceOff.seq && switchedBack.seq < unfenced.seq);
  });

  test('the health checks of the parallel precheck stage overlap in time at the target', () => {
    const primary = only(report.requests, 'GET', '/primary/health');
    const secondary = only(report.requests, 'GET', '/secondary/health');
    assert.ok(overlap(primary, secondary) > 0, `no overlap: ${JSON.stringify([primary, secondary].map((r) => [r.startedMs, r.finishedMs]))}`);
  });

  test('the first requests of the independent stages drain-primary and promote-database overlap in time', () => {
    const maintenance = only(report.requests, 'POST', '/primary/maintenance', '{"enabled":true}');
    const fence = only(report.requests, 'POST', '/db/fence');
    assert.ok(overlap(maintenance, fence) > 0, `no overlap: ${JSON.stringify([maintenance, fence].map((r) => [r.startedMs, r.finishedMs]))}`);
  });

  test("the verify action is retried after the first 503, with the next attempt's Idempotency-Key and after the backoff", () => {
    const checks = report.requests.filter((r) => r.path === '/secondary/serving');
    assert.deepEqual(
      checks.map((r) => r.status),
      [503, 200],
    );
    const [first, second] = checks;
    assert.ok(first !== undefined && second !== undefined);
    assert.match(first.idempotencyKey ?? '', /\/verify\/0\/secondary-serves-traffic\/1$/);
    assert.match(second.idempotencyKey ?? '', /\/verify\/0\/secondary-serves-traffic\/2$/);
    assert.ok(second.startedMs - first.startedMs >= 900, `retried after ${second.startedMs - first.startedMs} ms`);
    const verify = actionsOf(report.execute).find((a) => a.name === 'secondary-serves-traffic');
    assert.equal(verify?.attempt, 2);
    assert.equal(verify.retryCount, 1);
  });

  test('the execute switched the ConfigMap and the revert restored it', async () => {
    const original = { activeSite: 'primary', databaseHost: 'shop-db-primary.shop.svc' };
    const [check] = report.configMaps;
    assert.deepEqual(check?.before, original);
    assert.deepEqual(check.afterExecute, { activeSite: 'secondary', databaseHost: 'shop-db-secondary.shop.svc' });
    const now = await running().kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'shop-active-site', namespace: NAMESPACE });
    assert.deepEqual(now?.data, original);
  });

  test('the Localization and the promotion Job the execute created are deleted by the revert', async () => {
    const created = report.created.map((o) => `${o.key.kind} ${o.key.namespace ?? ''}/${o.key.name}`).sort();
    assert.equal(created.length, 2);
    assert.match(created[0] ?? '', /^Job shop\/shop-failover-drill-promote-replica-/);
    assert.equal(created[1], 'Localization clusternet-cluster-a/shop-web-drain-primary');
    assert.ok(report.created.every((o) => o.afterExecute));
    for (const object of report.created) assert.equal(await running().kube.get(object.key), undefined, `${object.key.kind} ${object.key.name} still exists`);
  });

  test('the demo target is back in its start state after the revert', async () => {
    const { initialState } = await import('../../local/demo-target/index.js');
    assert.deepEqual(report.targetAfterExecute, {
      traffic: 'secondary',
      maintenance: { primary: true, secondary: false },
      database: 'primary',
      fenced: ['primary'],
    });
    assert.deepEqual(running().target.state(), initialState());
  });

  test('the plan keeps both executions in its history and releases its lock', async () => {
    const plan = await running().kube.get({ apiVersion: DR, kind: 'DRPlan', name: 'shop-failover', namespace: NAMESPACE });
    const status = plan?.status as { currentExecution?: unknown; executionHistory?: { name: string; phase?: string }[] } | undefined;
    assert.equal(status?.currentExecution, undefined);
    const history = (status?.executionHistory ?? []).map((record) => `${record.name}: ${record.phase ?? ''}`).sort();
    assert.deepEqual(history, ['shop-failover-drill-revert: Succeeded', 'shop-failover-drill: Succeeded']);
  });

  test('progress shows each transition once, as the watch saw it', () => {
    const count = (pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;
    assert.equal(count(/execution shop-failover-drill: Running$/), 1);
    assert.equal(count(/execution shop-failover-drill: Succeeded$/), 1);
    assert.equal(count(/execution shop-failover-drill-revert: Succeeded$/), 1);
    // once in the execute, once in its failback (the revert undoes the stage under the same name)
    assert.equal(count(/stage switch-over: Running$/), 2);
    assert.equal(count(/action precheck\/0\/check-health: Running \(attempt 1\)$/), 1);
    assert.equal(count(/action precheck\/1\/check-health: Running \(attempt 1\)$/), 1);
    assert.equal(count(/action switch-over\/1\/switch-traffic: Running \(attempt 1\)$/), 1);
    assert.equal(count(/action verify\/0\/secondary-serves-traffic: Pending \(retry 1: attempt 2 /), 1);
    assert.equal(count(/action verify\/0\/secondary-serves-traffic: Succeeded \(after 2 attempts\)$/), 1);
  });

  test('the drill finds no problem to report', async () => {
    const drill = await import('../../local/drill.js');
    assert.deepEqual(drill.drillProblems(report, true), []);
  });
});

describe('the drill command line', () => {
  const io = (): { out: string[]; err: string[]; io: { stdout: { write(t: string): void }; stderr: { write(t: string): void }; cwd: string } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: { write: (t) => out.push(t) }, stderr: { write: (t) => err.push(t) }, cwd: process.cwd() } };
  };

  const usageErrors = [
    { args: ['--nope'], message: 'drill: unknown option "--nope"' },
    { args: ['--tick-seconds', '0'], message: 'drill: --tick-seconds must be a number ≥ 0.1, not "0"' },
    { args: ['--target-port=70000'], message: 'drill: --target-port must be a port number, not "70000"' },
    { args: ['--target-port', '1.5'], message: 'drill: --target-port must be an integer ≥ 0, not "1.5"' },
    { args: ['--timeout'], message: 'drill: --timeout needs a value' },
  ];

  for (const { args, message } of usageErrors) {
    test(`${args.join(' ')} exits 2 naming the option, before starting anything`, async () => {
      const { main } = await import('../../local/drill/cli.js');
      const captured = io();
      const status = await main(args, captured.io);
      assert.equal(status, 2);
      assert.equal(captured.err.join('').split('\n')[0], message);
      assert.deepEqual(captured.out, []);
    });
  }

  test('--help prints the usage and exits 0', async () => {
    const { main } = await import('../../local/drill/cli.js');
    const captured = io();
    assert.equal(await main(['--help'], captured.io), 0);
    assert.match(captured.out.join(''), /^Usage: npm start/);
  });
});

describe('preparing an example', () => {
  test('the failover example applies its Namespaces first and keeps the executions for later', async () => {
    const { readExample } = await import('../../local/drill/example.js');
    const { DEFAULT_EXAMPLE } = await import('../../local/drill.js');
    const example = readExample(DEFAULT_EXAMPLE);
    assert.deepEqual(
      example.setup.slice(0, 3).map((o) => `${o.kind} ${o.metadata.name ?? ''}`),
      ['Namespace shop', 'Namespace clusternet-cluster-a', 'Namespace clusternet-cluster-b'],
    );
    assert.ok(example.setup.every((o) => o.kind !== 'DRPlanExecution'));
    assert.equal(example.execute.metadata.name, 'shop-failover-drill');
    assert.equal(example.revert?.metadata.name, 'shop-failover-drill-revert');
  });

  const invalid = [
    {
      name: 'without an Execute execution',
      yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n',
      message: /: expected one DRPlanExecution with spec\.operationType Execute, found 0$/,
    },
    {
      name: 'with a document that is not an object',
      yaml: 'apiVersion: v1\nkind: Namespace\n',
      message: /example\.yaml: document 1: not a Kubernetes object \(apiVersion, kind and metadata\.name are required\)$/,
    },
    { name: 'with YAML that does not parse', yaml: 'a: [1, 2\n', message: /example\.yaml: document 1: / },
  ];
  for (const { name, yaml, message } of invalid) {
    test(`an example folder ${name} is refused, naming the file or folder`, async () => {
      const { readExample } = await import('../../local/drill/example.js');
      const dir = mkdtempSync(join(tmpdir(), 'drill-example-'));
      try {
        writeFileSync(join(dir, 'example.yaml'), yaml);
        assert.throws(() => readExample(dir), { message });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('execution params that point at the demo target address are pointed at the running target, the rest kept', async () => {
    const { pointParamsAt } = await import('../../local/drill/example.js');
    const execution = {
      apiVersion: DR,
      kind: 'DRPlanExecution',
      metadata: { name: 'x' },
      spec: {
        planRef: 'p',
        operationType: 'Execute',
        params: [
          { name: 'targetUrl', value: 'http://127.0.0.1:8090' },
          { name: 'endpoint', value: 'http://127.0.0.1:8090/primary' },
          { name: 'other', value: 'http://example.com' },
        ],
      },
    };
    const pointed = pointParamsAt(execution, 'http://127.0.0.1:4242');
    assert.deepEqual((pointed.spec as { params: unknown }).params, [
      { name: 'targetUrl', value: 'http://127.0.0.1:4242' },
      { name: 'endpoint', value: 'http://127.0.0.1:4242/primary' },
      { name: 'other', value: 'http://example.com' },
    ]);
    assert.equal(execution.spec.params[0]?.value, 'http://127.0.0.1:8090');
  });
});

describe("the drill's verdict", () => {
  const base = async (): Promise<DrillReport> => {
    const { ProgressTracker } = await import('../../local/drill/progress.js');
    const execution = (name: string): DrillReport['execute'] => ({
      name,
      namespace: NAMESPACE,
      phase: 'Succeeded',
      status: { phase: 'Succeeded' },
      tracker: new ProgressTracker(name, () => Date.now(), 0),
      createdMs: 0,
      elapsedMs: 1000,
    });
    const key = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: NAMESPACE };
    return {
      exampleDir: 'examples/failover',
      setupMs: 10,
      execute: execution('run'),
      revert: execution('undo'),
      targetUrl: 'http://127.0.0.1:1',
      requests: [],
      duplicates: 0,
      targetAfterExecute: { traffic: 'secondary', maintenance: { primary: false, secondary: false }, database: 'primary', fenced: [] },
      created: [{ key: { apiVersion: 'batch/v1', kind: 'Job', name: 'j', namespace: NAMESPACE }, afterExecute: true, afterRevert: false }],
      configMaps: [{ key, before: { a: '1' }, afterExecute: { a: '2' }, afterRevert: { a: '1' } }],
    };
  };
  const request = (seq: number, key: string): RecordedRequest => ({
    seq,
    method: 'GET',
    path: '/p',
    query: '',
    headers: {},
    idempotencyKey: key,
    body: '',
    time: '',
    startedMs: seq,
    finishedMs: seq,
    status: 200,
    outcome: 'handled',
    duplicate: false,
  });

  const cases: { name: string; change: (report: DrillReport) => void; problems: string[] }[] = [
    { name: 'a clean drill has no problem', change: () => undefined, problems: [] },
    {
      name: 'a Failed execute is a problem with its message',
      change: (r) => Object.assign(r.execute, { phase: 'Failed', message: 'action x failed' }),
      problems: ['the execute ended Failed: action x failed'],
    },
    {
      name: 'a Failed revert is a problem with its message',
      change: (r) => Object.assign(r.revert ?? {}, { phase: 'Failed', message: 'rollback y failed' }),
      problems: ['the revert ended Failed: rollback y failed'],
    },
    { name: 'a missing revert is a problem', change: (r) => Object.assign(r, { revert: undefined }), problems: ['the example has no Revert execution'] },
    { name: 'a duplicate request is a problem', change: (r) => Object.assign(r, { duplicates: 1 }), problems: ['the demo target saw 1 duplicate request(s)'] },
    {
      name: 'a key sent twice is a problem naming the key',
      change: (r) => Object.assign(r, { requests: [request(1, 'k1'), request(2, 'k2'), request(3, 'k1')] }),
      problems: ['Idempotency-Key sent more than once: k1'],
    },
    {
      name: 'an object left after the revert is a problem naming it',
      change: (r) => Object.assign(r.created[0] ?? {}, { afterRevert: true }),
      problems: ['Job shop/j still exists after the revert'],
    },
    {
      name: 'a ConfigMap not restored is a problem naming it',
      change: (r) => Object.assign(r.configMaps[0] ?? {}, { afterRevert: { a: '2' } }),
      problems: ['ConfigMap shop/cm was not restored by the revert'],
    },
  ];

  for (const { name, change, problems } of cases) {
    test(name, async () => {
      const { drillProblems } = await import('../../local/drill.js');
      const report = await base();
      change(report);
      assert.deepEqual(drillProblems(report, true), problems);
    });
  }

  test('the summary ends with FAILED and each problem when there are problems', async () => {
    const { summaryText } = await import('../../local/drill/summary.js');
    const text = summaryText(await base(), { startMs: 1, totalMs: 2 }, ['the execute ended Failed: boom']);
    assert.match(text, /\nResult: FAILED\n {2}- the execute ended Failed: boom\n$/);
  });
});
