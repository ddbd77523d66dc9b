/**
 * Every example copied from the original controller's samples (examples/seed/: install, switchover,
 * samples) applied as `kubectl apply` would, executed and reverted through the real broker and
 * triggers on one local stack: the Localizations and Subscriptions appear with the execute and are
 * gone after the revert; the HTTP sample's health check reaches the demo target once.
 *
 * With DRPLAN_E2E_KUBECONFIG set they run on that cluster as written (in `default` and the Clusternet
 * namespaces their YAML names): an example is skipped there when the Clusternet CRDs its actions need
 * are missing or one of its objects exists already; what each left is deleted afterwards, with the
 * namespaces it declared that the cluster did not have. The drill applies files in name order, so each
 * plan goes in before its workflows and is Invalid until they are Ready: the drill waits through that.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { DrillReport, Environment } from '../../local/drill.js';
import { allowing, connectTo, E2E_MODE, placeExample, type ExamplePlacement } from '../support/e2e-cluster.js';
import { startDrillEnvironment } from '../support/e2e-helpers.js';

const SEED = fileURLToPath(new URL('../../examples/seed/', import.meta.url));
/** The CRDs of what the examples' actions create (Clusternet's). */
const CRD_OF: Readonly<Record<string, string>> = { Localization: 'localizations.apps.clusternet.io', Subscription: 'subscriptions.apps.clusternet.io' };

interface SeedCase {
  folder: string;
  execute: string;
  revert: string;
  /** `Kind namespace/name` of what the execute creates and the revert deletes. */
  created: string[];
  /** `METHOD path` of the requests the demo target sees. */
  requests: string[];
}

const CASES: readonly SeedCase[] = [
  {
    folder: 'install',
    execute: 'nginx-install-plan-exec-001',
    revert: 'nginx-install-plan-revert-001',
    created: [
      'Localization clusternet-cluster-a/nginx-config-overrides-cluster-a',
      'Localization clusternet-cluster-a/nginx-overrides-cluster-a',
      'Localization clusternet-cluster-b/nginx-config-overrides-cluster-b',
      'Localization clusternet-cluster-b/nginx-overrides-cluster-b',
      'Subscription default/nginx-subscription',
    ],
    requests: [],
  },
  {
    folder: 'switchover',
    execute: 'nginx-switchover-plan-exec-001',
    revert: 'nginx-switchover-plan-revert-001',
    created: ['Localization clusternet-cluster-a/nginx-replicas-switchover-a', 'Localization clusternet-cluster-b/nginx-replicas-switchover-b'],
    requests: [],
  },
  {
    folder: 'samples',
    execute: 'simple-dr-plan-exec-001',
    revert: 'simple-dr-plan-revert-001',
    created: [],
    requests: ['GET /primary/health'],
  },
];

/** On a cluster: how each example runs there (or why it cannot). Nothing locally: each stack is new. */
const placements = new Map<string, ExamplePlacement>();
if (E2E_MODE.kind === 'cluster') {
  const { kube } = connectTo(E2E_MODE.kubeconfigPath);
  for (const seed of CASES) {
    const crds = [...new Set(seed.created.flatMap((object) => CRD_OF[object.split(' ')[0] ?? ''] ?? []))];
    placements.set(seed.folder, await placeExample(kube, `${SEED}${seed.folder}`, crds));
  }
}
const refusalOf = (folder: string): string | false => {
  const placement = placements.get(folder);
  return placement !== undefined && 'refusal' in placement ? `skipped on this cluster: ${placement.refusal}` : false;
};

const describeKey = (key: { kind: string; namespace?: string | undefined; name: string }): string => `${key.kind} ${key.namespace ?? ''}/${key.name}`;

describe('the seed examples through the real broker and triggers', { timeout: allowing(150_000, 10) }, () => {
  let env: Environment | undefined;
  const reports = new Map<string, DrillReport>();
  const failures = new Map<string, string>();
  const running = (): Environment => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    const drill = await import('../../local/drill.js');
    env = await startDrillEnvironment({ tickSeconds: 2, log: () => undefined });
    for (const seed of CASES.filter((c) => refusalOf(c.folder) === false)) {
      env.target.reset();
      try {
        reports.set(seed.folder, await drill.runDrillIn(env, { exampleDir: `${SEED}${seed.folder}`, timeoutMs: allowing(45_000), out: () => undefined }));
      } catch (error: unknown) {
        failures.set(seed.folder, error instanceof Error ? error.message : String(error));
      }
    }
  });

  after(async () => {
    for (const [folder, placement] of placements) {
      if ('remove' in placement) await placement.remove(reports.get(folder)?.created.map((object) => object.key) ?? []);
    }
    await env?.stop();
  });

  const reportOf = (folder: string): DrillReport => {
    const report = reports.get(folder);
    assert.ok(report !== undefined, `the ${folder} example did not run: ${failures.get(folder) ?? 'no report'}`);
    return report;
  };

  for (const seed of CASES) {
    describe(seed.folder, { skip: refusalOf(seed.folder) }, () => {
      test('the execute ends Succeeded', () => {
        const report = reportOf(seed.folder);
        assert.equal(report.execute.name, seed.execute);
        assert.equal(report.execute.phase, 'Succeeded', report.execute.message);
      });

      test('the revert ends Succeeded', () => {
        const report = reportOf(seed.folder);
        assert.equal(report.revert?.name, seed.revert);
        assert.equal(report.revert.phase, 'Succeeded', report.revert.message);
      });

      test(seed.created.length === 0 ? 'the execute creates no object' : 'the execute creates its Clusternet objects', () => {
        const report = reportOf(seed.folder);
        assert.deepEqual(report.created.map((object) => describeKey(object.key)).sort(), seed.created);
        assert.ok(
          report.created.every((object) => object.afterExecute),
          'an object was missing right after the execute',
        );
      });

      test('nothing the execute created is left after the revert', async () => {
        const report = reportOf(seed.folder);
        for (const object of report.created) assert.equal(await running().kube.get(object.key), undefined, `${describeKey(object.key)} still exists`);
      });

      test(seed.requests.length === 0 ? 'nothing reaches the demo target' : 'the health check reaches the demo target once, with an Idempotency-Key', () => {
        const report = reportOf(seed.folder);
        assert.deepEqual(
          report.requests.map((r) => `${r.method} ${r.path}`),
          seed.requests,
        );
        assert.ok(report.requests.every((r) => r.status === 200 && (r.idempotencyKey ?? '').endsWith('/healthcheck/0/check-primary/1')));
        assert.equal(report.duplicates, 0);
      });
    });
  }

  test('the revert of the install deletes its Localizations from both cluster namespaces', { skip: refusalOf('install') }, async () => {
    reportOf('install');
    for (const namespace of ['clusternet-cluster-a', 'clusternet-cluster-b']) {
      const left = await running().kube.list('apps.clusternet.io/v1alpha1', 'Localization', { namespace });
      assert.deepEqual(
        left.map((object) => object.metadata.name),
        [],
        namespace,
      );
    }
  });
});
