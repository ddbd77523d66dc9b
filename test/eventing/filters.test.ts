import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CloudEvent } from '../../local/eventing/cloudevent.js';
import { triggerMatches } from '../../local/eventing/filters.js';
import type { Trigger } from '../../local/eventing/knative-schemas.js';
import { ManifestError } from '../../local/eventing/manifests.js';
import { manifestsOf, trigger, type Json } from './helpers.js';

const event: CloudEvent = {
  attributes: {
    specversion: '1.0',
    id: 'e1',
    source: '/apis/v1/namespaces/dr/pingsources/tick',
    type: 'com.tencent.bkbcs.dr.action.finished',
    operationtype: 'Revert',
    kind: 'DRPlanExecution',
  },
  data: { json: {} },
};

const subscriber = { uri: 'http://127.0.0.1:1/' };

function triggerWith(spec: Json): Trigger {
  const parsed = manifestsOf([
    { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'events', namespace: 'eventing-test' } },
    trigger('t', { subscriber, ...spec }),
  ]);
  const found = parsed.triggers[0];
  assert.ok(found !== undefined);
  return found.object;
}

describe('trigger filters', () => {
  const cases: { name: string; spec: Json; matches: boolean }[] = [
    { name: 'no filter at all takes everything', spec: {}, matches: true },
    {
      name: 'attributes: every attribute equal',
      spec: { filter: { attributes: { type: 'com.tencent.bkbcs.dr.action.finished', operationtype: 'Revert' } } },
      matches: true,
    },
    {
      name: 'attributes: one attribute different',
      spec: { filter: { attributes: { type: 'com.tencent.bkbcs.dr.action.finished', operationtype: 'Execute' } } },
      matches: false,
    },
    { name: 'attributes: an empty value matches any value of a present attribute', spec: { filter: { attributes: { operationtype: '' } } }, matches: true },
    { name: 'attributes: an empty value does not match a missing extension', spec: { filter: { attributes: { execution: '' } } }, matches: false },
    { name: 'attributes: an unset standard attribute counts as empty', spec: { filter: { attributes: { subject: '' } } }, matches: true },
    { name: 'exact: equal', spec: { filters: [{ exact: { type: 'com.tencent.bkbcs.dr.action.finished' } }] }, matches: true },
    { name: 'exact: case matters', spec: { filters: [{ exact: { kind: 'drplanexecution' } }] }, matches: false },
    { name: 'exact: a missing attribute fails', spec: { filters: [{ exact: { execution: 'x' } }] }, matches: false },
    { name: 'prefix: starts with', spec: { filters: [{ prefix: { type: 'com.tencent.bkbcs.dr.' } }] }, matches: true },
    { name: 'prefix: does not start with', spec: { filters: [{ prefix: { type: 'dev.knative.' } }] }, matches: false },
    { name: 'suffix: ends with', spec: { filters: [{ suffix: { type: '.finished' } }] }, matches: true },
    { name: 'suffix: does not end with', spec: { filters: [{ suffix: { type: '.requested' } }] }, matches: false },
    {
      name: 'the filters list is ANDed: all pass',
      spec: { filters: [{ exact: { type: 'com.tencent.bkbcs.dr.action.finished' } }, { exact: { operationtype: 'Revert' } }] },
      matches: true,
    },
    {
      name: 'the filters list is ANDed: one fails',
      spec: { filters: [{ exact: { type: 'com.tencent.bkbcs.dr.action.finished' } }, { exact: { operationtype: 'Execute' } }] },
      matches: false,
    },
    {
      name: 'all: every nested filter passes',
      spec: { filters: [{ all: [{ prefix: { type: 'com.' } }, { exact: { kind: 'DRPlanExecution' } }] }] },
      matches: true,
    },
    { name: 'all: one nested filter fails', spec: { filters: [{ all: [{ prefix: { type: 'com.' } }, { exact: { kind: 'DRPlan' } }] }] }, matches: false },
    {
      name: 'any: one nested filter passes',
      spec: { filters: [{ any: [{ exact: { operationtype: 'Execute' } }, { exact: { operationtype: 'Revert' } }] }] },
      matches: true,
    },
    {
      name: 'any: no nested filter passes',
      spec: { filters: [{ any: [{ exact: { operationtype: 'Execute' } }, { suffix: { type: '.requested' } }] }] },
      matches: false,
    },
    { name: 'not: negates a failing filter', spec: { filters: [{ not: { exact: { operationtype: 'Execute' } } }] }, matches: true },
    { name: 'not: negates a passing filter', spec: { filters: [{ not: { exact: { operationtype: 'Revert' } } }] }, matches: false },
    {
      name: 'nested dialects compose',
      spec: {
        filters: [
          { all: [{ not: { prefix: { source: '/apis/v1/namespaces/other/' } } }, { any: [{ suffix: { type: '.finished' } }, { exact: { kind: 'Job' } }] }] },
        ],
      },
      matches: true,
    },
    {
      name: 'filters win over filter.attributes when both are set',
      spec: { filter: { attributes: { operationtype: 'Execute' } }, filters: [{ exact: { operationtype: 'Revert' } }] },
      matches: true,
    },
    {
      name: 'an empty filters list leaves filter.attributes in charge',
      spec: { filter: { attributes: { operationtype: 'Execute' } }, filters: [] },
      matches: false,
    },
  ];
  for (const { name, spec, matches } of cases) {
    it(`${name} (${matches ? 'matches' : 'does not match'})`, () => {
      // Prepare
      const parsed = triggerWith(spec);

      // Act
      const result = triggerMatches(parsed, event);

      // Assess
      assert.equal(result, matches);
    });
  }
});

describe('trigger filters Knative refuses are refused when the manifests are read', () => {
  const cases: { name: string; filters: unknown[]; path: string; message: RegExp }[] = [
    {
      name: 'two attributes in one exact filter',
      filters: [{ exact: { type: 'a', operationtype: 'Execute' } }],
      path: 'spec.filters[0].exact',
      message: /Multiple items found, can have only one key-value/,
    },
    {
      name: 'two dialects in one filter',
      filters: [{ exact: { type: 'a' }, prefix: { source: '/x' } }],
      path: 'spec.filters[0]',
      message: /multiple dialects found \(exact, prefix\)/,
    },
    { name: 'an empty value', filters: [{ prefix: { type: '' } }], path: 'spec.filters[0].prefix.type', message: /must not be empty/ },
    {
      name: 'an attribute name with capitals',
      filters: [{ exact: { operationType: 'Execute' } }],
      path: 'spec.filters[0].exact.operationType',
      message: /start with a letter and hold lowercase letters and digits only/,
    },
    {
      name: 'a nested mistake',
      filters: [{ all: [{ exact: { type: 'a' } }, { suffix: { type: 'b', kind: 'c' } }] }],
      path: 'spec.filters[0].all[1].suffix',
      message: /Multiple items found/,
    },
    {
      name: 'a CESQL expression',
      filters: [{ cesql: "type = 'a'" }],
      path: 'spec.filters[0].cesql',
      message: /CESQL filters are not played by the local eventing/,
    },
  ];
  for (const { name, filters, path, message } of cases) {
    it(`refuses ${name}, naming the file, the trigger and the field`, () => {
      // Act
      let thrown: unknown;
      try {
        manifestsOf([trigger('bad', { subscriber, filters })]);
      } catch (error: unknown) {
        thrown = error;
      }

      // Assess
      assert.ok(thrown instanceof ManifestError);
      assert.equal(thrown.problems.length, 1);
      const [problem = ''] = thrown.problems;
      assert.ok(problem.startsWith(`test.yaml: Trigger eventing-test/bad: ${path}: `), problem);
      assert.match(problem, message);
    });
  }
});
