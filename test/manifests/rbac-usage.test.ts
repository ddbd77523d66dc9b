import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Grant } from './rbac.js';
import { FunctionNames, FunctionPermissions, grantKey, grantsFor, grantsOf, RESOURCE_TARGET_VERBS } from './rbac.js';
import type { TargetResource } from './kube-usage.js';
import { EmittedTypes, observe, Scenarios } from './observed.js';
import type { Observation } from './observed.js';

const isTarget = (grant: Grant, targets: readonly TargetResource[] = []): boolean =>
  targets.some((target) => target.apiGroup === grant.apiGroup && target.resource === grant.resource);

/** The grants a scenario's calls need, split into the function's own and those on its KubernetesResource targets. */
function grantsUsed(observation: Observation): { own: Grant[]; targets: Grant[] } {
  const grants = observation.uses.flatMap((use) => grantsFor(use.method, use.apiVersion, use.kind));
  const targets = observation.scenario.targets;
  return { own: grants.filter((grant) => !isTarget(grant, targets)), targets: grants.filter((grant) => isTarget(grant, targets)) };
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

describe('the API calls of each function, run through its scenarios', () => {
  for (const fn of FunctionNames) {
    test(`${fn} makes no call its declared permissions do not grant`, async () => {
      // Prepare
      const declared = new Set(grantsOf(FunctionPermissions[fn]).map(grantKey));

      // Act
      const observations = await observe(fn);

      // Assess
      const missing = observations.flatMap((observation) =>
        grantsUsed(observation)
          .own.filter((grant) => !declared.has(grantKey(grant)))
          .map((grant) => `${observation.scenario.name}: ${grantKey(grant)}`),
      );
      assert.deepEqual(sorted(missing), [], `${fn} needs grants test/manifests/rbac.ts does not declare`);
    });

    test(`${fn} uses every permission it declares`, async () => {
      // Prepare
      const declared = grantsOf(FunctionPermissions[fn]).map(grantKey);

      // Act
      const used = new Set((await observe(fn)).flatMap((observation) => grantsUsed(observation).own.map(grantKey)));

      // Assess
      assert.deepEqual(sorted(declared.filter((key) => !used.has(key))), [], `test/manifests/rbac.ts declares grants no scenario of ${fn} needs`);
    });

    test(`every scenario of ${fn} calls the API and replies only with the types it is declared to emit`, async () => {
      // Act
      const observations = await observe(fn);

      // Assess
      for (const { scenario, uses, replies } of observations) {
        assert.ok(uses.length > 0, `${fn}: "${scenario.name}" made no API call`);
        for (const reply of replies) assert.ok(EmittedTypes[fn].includes(reply.type), `${fn}: "${scenario.name}" replied ${reply.type}`);
      }
    });

    test(`the scenarios of ${fn} reply with every type it is declared to emit`, async () => {
      // Act
      const replied = new Set((await observe(fn)).flatMap((observation) => observation.replies.map((reply) => reply.type)));

      // Assess
      assert.deepEqual(sorted(EmittedTypes[fn].filter((type) => !replied.has(type))), []);
    });
  }

  test('run-action changes the objects KubernetesResource actions name only with the verbs the aggregated role is documented to need', async () => {
    // Act
    const targetGrants = (await observe('run-action')).flatMap((observation) => grantsUsed(observation).targets);

    // Assess
    assert.deepEqual(sorted(targetGrants.map((grant) => grant.verb)), sorted(RESOURCE_TARGET_VERBS));
  });

  test("only run-action has scenarios with KubernetesResource targets: every other call is held against the function's own role", () => {
    // Act
    const withTargets = FunctionNames.filter((fn) => Scenarios[fn].some((scenario) => scenario.targets !== undefined));

    // Assess
    assert.deepEqual(withTargets, ['run-action']);
  });
});
