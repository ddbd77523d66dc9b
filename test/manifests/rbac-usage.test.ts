import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Grant } from './rbac.js';
import { FunctionNames, FunctionPermissions, grantKey, grantsFor, grantsOf } from './rbac.js';
import { EmittedTypes, observe } from './observed.js';
import type { Observation } from './observed.js';

/**
 * The grants a scenario's calls need of the function's own role. What it does as the plan's
 * ServiceAccount (impersonated) is decided by that account's rights and is not counted here; the
 * impersonation itself is.
 */
const grantsUsed = (observation: Observation): Grant[] => observation.uses.flatMap((use) => grantsFor(use.method, use.apiVersion, use.kind));

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
          .filter((grant) => !declared.has(grantKey(grant)))
          .map((grant) => `${observation.scenario.name}: ${grantKey(grant)}`),
      );
      assert.deepEqual(sorted(missing), [], `${fn} needs grants test/manifests/rbac.ts does not declare`);
    });

    test(`${fn} uses every permission it declares`, async () => {
      // Prepare
      const declared = grantsOf(FunctionPermissions[fn]).map(grantKey);

      // Act
      const used = new Set((await observe(fn)).flatMap((observation) => grantsUsed(observation).map(grantKey)));

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

  test('what a plan changes in the cluster is changed as its ServiceAccount: no function holds a grant on Jobs, Clusternet objects or action targets beyond reading its Jobs', () => {
    // Act
    const tenantWork = FunctionNames.flatMap((fn) =>
      grantsOf(FunctionPermissions[fn])
        .filter((grant) => (grant.apiGroup === 'batch' && grant.verb !== 'get') || grant.apiGroup === 'apps.clusternet.io')
        .map((grant) => `${fn}: ${grantKey(grant)}`),
    );

    // Assess
    assert.deepEqual(tenantWork, []);
  });
});
