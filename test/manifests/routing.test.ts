import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { EventTypes, SourceEventTypes, TerminalEventTypes } from '../../shared/events.js';
import { JOB_SELECTOR } from '../../shared/job-labels.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { FunctionNames } from './rbac.js';
import type { FunctionName } from './rbac.js';
import { arrayAt, at, BROKER, findObject, NAMESPACE, objectsOf, recordAt, stringAt } from './manifests.js';
import { EmittedTypes, observe } from './observed.js';
import type { Candidate } from './routing.js';
import { apiServerCandidates, attributesOf, deliveringTriggers, fixtureCandidates, handles, replyCandidate, triggersOf } from './routing.js';
import { triggerMatches } from './trigger-filter.js';

const CATALOG = new Set<string>([...Object.values(EventTypes), ...Object.values(SourceEventTypes)]);
const triggers = objectsOf('Trigger');
const nameOf = (object: KubeObject): string => object.metadata.name ?? '';

/** The value a Trigger pins for `attribute` with an `exact` filter. */
const exactOf = (trigger: KubeObject, attribute: string): string | undefined =>
  arrayAt(trigger, 'spec', 'filters')
    .map((filter) => stringAt(filter, 'exact', attribute))
    .find((value) => value !== undefined);
const typeOf = (trigger: KubeObject): string | undefined => exactOf(trigger, 'type');

async function replyCandidates(): Promise<Candidate[]> {
  const perFunction = await Promise.all(
    FunctionNames.map(async (fn) => (await observe(fn)).flatMap((o) => o.replies.map((reply) => replyCandidate(fn, reply)))),
  );
  return perFunction.flat();
}

async function allCandidates(): Promise<Candidate[]> {
  return [...apiServerCandidates(), ...fixtureCandidates(), ...(await replyCandidates())];
}

describe('the Triggers', () => {
  test('all subscribe to the drplan broker with filters, each pinning one type from the event catalog', () => {
    // Act
    const wrong = triggers.flatMap((trigger) => {
      const type = typeOf(trigger);
      const problems: string[] = [];
      if (stringAt(trigger, 'spec', 'broker') !== BROKER) problems.push('not on the drplan broker');
      if (at(trigger, 'spec', 'filter') !== undefined || arrayAt(trigger, 'spec', 'filters').length === 0) problems.push('not using filters');
      if (type === undefined || !CATALOG.has(type)) problems.push(`type ${type ?? 'unpinned'} not in the catalog`);
      return problems.map((problem) => `${nameOf(trigger)}: ${problem}`);
    });

    // Assess
    assert.ok(triggers.length >= FunctionNames.length);
    assert.deepEqual(wrong, []);
  });

  test('all deliver to a Knative Service of a function that exists', () => {
    // Act
    const dangling = triggers.filter((trigger) => {
      const ref = recordAt(trigger, 'spec', 'subscriber', 'ref');
      const service = findObject('Service', String(ref.name));
      return (
        ref.apiVersion !== 'serving.knative.dev/v1' ||
        ref.kind !== 'Service' ||
        service === undefined ||
        !(FunctionNames as readonly string[]).includes(String(ref.name))
      );
    });

    // Assess
    assert.deepEqual(dangling.map(nameOf), []);
  });

  test('every exact filter pins one attribute, as Knative requires (several exact filters all have to match)', () => {
    const crowded = triggers.filter((trigger) => arrayAt(trigger, 'spec', 'filters').some((filter) => Object.keys(at(filter, 'exact') ?? {}).length > 1));
    assert.deepEqual(crowded.map(nameOf), []);
  });

  test('about ApiServerSource events name a kind a source watches, and every watched kind has a Trigger', () => {
    // Prepare
    const watchedKinds = objectsOf('ApiServerSource').flatMap((source) =>
      arrayAt(source, 'spec', 'resources').map((resource) => stringAt(resource, 'kind') ?? ''),
    );

    // Act
    const kinds = triggers.filter((trigger) => typeOf(trigger)?.startsWith('dev.knative.apiserver.') === true).map((trigger) => exactOf(trigger, 'kind') ?? '');

    // Assess
    assert.deepEqual([...new Set(kinds)].sort(), [...watchedKinds].sort());
  });
});

describe('the Triggers and the routes of the functions', () => {
  for (const fn of FunctionNames) {
    test(`every event ${fn}'s route handles is delivered to ${fn}`, async () => {
      // Act
      const lost = (await allCandidates()).filter((candidate) => handles(fn, candidate.event) && deliveringTriggers(fn, candidate.event).length === 0);

      // Assess
      assert.deepEqual([...new Set(lost.map((candidate) => candidate.label))], []);
    });

    test(`every Trigger of ${fn} delivers some event ${fn}'s route handles`, async () => {
      // Prepare
      const candidates = await allCandidates();

      // Act
      const useless = triggersOf(fn).filter(
        (trigger) => !candidates.some((candidate) => handles(fn, candidate.event) && triggerMatches(trigger.spec, attributesOf(candidate.event))),
      );

      // Assess
      assert.ok(triggersOf(fn).length > 0, `${fn} has Triggers`);
      assert.deepEqual(useless.map(nameOf), []);
    });

    test(`no reply of ${fn} matches a Trigger of ${fn}${fn === 'run-action' ? ' but the request for the next action' : ''}`, async () => {
      // Act: run-action requests the action that follows a result (docs/adr/0012); the chain ends because
      // each request is for an attempt that has not run yet (test/unit/functions/run-action/step.test.ts)
      const forward = (type: string): boolean => fn === 'run-action' && type === EventTypes.actionRequested;
      const loops = (await observe(fn)).flatMap((observation) =>
        observation.replies
          .filter((reply) => !forward(reply.type))
          .map((reply) => replyCandidate(fn, reply))
          .flatMap((candidate) => deliveringTriggers(fn, candidate.event).map((trigger) => `${candidate.label} → ${trigger}`)),
      );

      // Assess
      assert.deepEqual(loops, []);
    });
  }

  test('every type a function emits is delivered to some function, or is declared terminal', async () => {
    // Prepare
    const candidates = await replyCandidates();

    // Act
    const unheard = [...new Set(FunctionNames.flatMap((fn) => EmittedTypes[fn]))].filter(
      (type) =>
        !TerminalEventTypes.includes(type) &&
        !candidates.some((candidate) => candidate.event.type === type && FunctionNames.some((fn) => deliveringTriggers(fn, candidate.event).length > 0)),
    );

    // Assess
    assert.deepEqual(unheard, [], 'emitted types with no subscriber: add a Trigger, or add them to TerminalEventTypes (shared/events.ts)');
  });

  test('each recorded fixture reaches exactly the functions that handle it', () => {
    // Act
    const routed = fixtureCandidates().map((candidate) => ({
      label: candidate.label,
      delivered: FunctionNames.filter((fn) => deliveringTriggers(fn, candidate.event).length > 0 && handles(fn, candidate.event)),
    }));

    // Assess: a sample of the table, one per source
    const to = (label: string): FunctionName[] | undefined => routed.find((entry) => entry.label === `fixture ${label}`)?.delivered;
    assert.deepEqual(to('apiserver-drworkflow-delete.json'), ['validate-workflow', 'validate-plan']);
    assert.deepEqual(to('apiserver-drplanexecution-add-revert.json'), ['revert']);
    assert.deepEqual(to('apiserver-drplanexecution-update-cancel.json'), ['plan-stages', 'cancel']);
    assert.deepEqual(to('apiserver-job-update.json'), ['run-action']);
    assert.deepEqual(to('ping-resync.json'), ['validate-workflow', 'validate-plan', 'plan-stages', 'revert']);
  });
});

describe('the event sources', () => {
  test("watch the three DR kinds and drplan's Jobs, in every namespace, whole objects, into the broker", () => {
    // Act
    const sources = objectsOf('ApiServerSource').map((source) => ({
      mode: stringAt(source, 'spec', 'mode'),
      allNamespaces: JSON.stringify(at(source, 'spec', 'namespaceSelector')),
      sink: recordAt(source, 'spec', 'sink', 'ref'),
      resources: arrayAt(source, 'spec', 'resources'),
    }));

    // Assess
    const sink = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER, namespace: NAMESPACE };
    const [key = '', value = ''] = JOB_SELECTOR.split('=');
    assert.deepEqual(sources, [
      {
        mode: 'Resource',
        allNamespaces: '{}',
        sink,
        resources: [Kinds.workflow, Kinds.plan, Kinds.execution].map((kind) => ({ apiVersion: API_VERSION, kind })),
      },
      { mode: 'Resource', allNamespaces: '{}', sink, resources: [{ apiVersion: 'batch/v1', kind: 'Job', selector: { matchLabels: { [key]: value } } }] },
    ]);
  });

  test('tick once a minute into the broker with a JSON payload', () => {
    // Act
    const pings = objectsOf('PingSource');

    // Assess
    assert.equal(pings.length, 1);
    const [ping] = pings;
    assert.equal(stringAt(ping, 'spec', 'schedule'), '* * * * *');
    assert.deepEqual(recordAt(ping, 'spec', 'sink', 'ref'), { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER, namespace: NAMESPACE });
    assert.equal(stringAt(ping, 'spec', 'contentType'), 'application/json');
    assert.deepEqual(JSON.parse(stringAt(ping, 'spec', 'data') ?? ''), { reason: 'resync' });
  });
});

describe('the broker', () => {
  test('retries 5 times with exponential backoff from 0.2s, then dead-letters to the drplan-dead-letter Service', () => {
    // Act
    const delivery = recordAt(findObject('Broker', BROKER), 'spec', 'delivery');

    // Assess
    assert.deepEqual(delivery, {
      retry: 5,
      backoffPolicy: 'exponential',
      backoffDelay: 'PT0.2S',
      deadLetterSink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'drplan-dead-letter', namespace: NAMESPACE } },
    });
    assert.ok(findObject('Service', 'drplan-dead-letter'));
  });

  test('is the only one, and no Trigger overrides its delivery', () => {
    // Assess
    assert.deepEqual(objectsOf('Broker').map(nameOf), [BROKER]);
    assert.deepEqual(triggers.filter((trigger) => at(trigger, 'spec', 'delivery') !== undefined).map(nameOf), []);
  });
});
