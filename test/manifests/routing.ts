/**
 * The events the broker can carry, as structured CloudEvents, and what each function makes of them:
 * which of its Triggers deliver an event (test/manifests/trigger-filter.ts) and whether its route
 * (shared/runtime/routes.ts, after the real envelope parser) hands it to the core. ApiServerSource events are
 * built for every kind and action the sources watch, plus the recorded fixtures; our own events are the
 * replies the cores produce in their scenarios, turned into CloudEvents by the real wiring.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION, Kinds, Plurals } from '../../shared/api/index.js';
import { parseEnvelope } from '../../shared/runtime/envelope.js';
import { EVENT_SOURCE, SourceEventTypes } from '../../shared/events.js';
import type { Logger, Outcome, Reply } from '../../shared/function-deps.js';
import { JOB_SELECTOR } from '../../shared/job-labels.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { FunctionName } from './rbac.js';
import { routeCancel, routePlanStages, routeRevert, routeRunAction, routeValidatePlan, routeValidateWorkflow } from '../../shared/runtime/routes.js';
import { toCloudEvent } from '../../shared/runtime/wiring.js';
import type { Attributes } from './trigger-filter.js';
import { triggerMatches } from './trigger-filter.js';
import { objectsOf, REPO_ROOT, stringAt } from './manifests.js';

export interface Candidate {
  label: string;
  /** A structured-mode CloudEvent: attributes and `data`. */
  event: Record<string, unknown>;
}

/** The context attributes and extensions of a structured CloudEvent (everything but the data). */
export function attributesOf(event: Record<string, unknown>): Attributes {
  return Object.fromEntries(Object.entries(event).filter((entry): entry is [string, string] => entry[0] !== 'data' && typeof entry[1] === 'string'));
}

const API_SERVER = 'https://10.96.0.1:443';
const [JOB_LABEL = '', JOB_LABEL_VALUE = ''] = JOB_SELECTOR.split('=');

function object(type: { apiVersion: string; kind: string }, name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject {
  return { ...type, metadata: { name, namespace: 'default', uid: `${name}-uid`, resourceVersion: '7', labels }, spec };
}
const dr = (kind: string): { apiVersion: string; kind: string } => ({ apiVersion: API_VERSION, kind });

const watched: ReadonlyArray<{ object: KubeObject; plural: string; variant: string }> = [
  { object: object(dr(Kinds.workflow), 'wf'), plural: Plurals.DRWorkflow, variant: '' },
  { object: object(dr(Kinds.plan), 'p'), plural: Plurals.DRPlan, variant: '' },
  { object: object(dr(Kinds.execution), 'run-1', { planRef: 'p', operationType: 'Execute' }), plural: Plurals.DRPlanExecution, variant: ' (Execute)' },
  {
    object: object(dr(Kinds.execution), 'undo-1', { planRef: 'p', operationType: 'Revert', revertExecutionRef: 'run-1' }),
    plural: Plurals.DRPlanExecution,
    variant: ' (Revert)',
  },
  { object: object({ apiVersion: 'batch/v1', kind: 'Job' }, 'run-1-migrate-1', {}, { [JOB_LABEL]: JOB_LABEL_VALUE }), plural: 'jobs', variant: '' },
];

/** What Knative's ApiServerSource (mode Resource) sends for every action on every kind the sources watch. */
export function apiServerCandidates(): Candidate[] {
  return (['add', 'update', 'delete'] as const).flatMap((action) =>
    watched.map(({ object: data, plural, variant }) => ({
      label: `${data.kind}${variant} ${action}`,
      event: {
        specversion: '1.0',
        id: `${data.metadata.name ?? ''}-${action}`,
        source: API_SERVER,
        type: SourceEventTypes[action],
        subject: `/apis/${data.apiVersion}/namespaces/default/${plural}/${data.metadata.name ?? ''}`,
        datacontenttype: 'application/json',
        kind: data.kind,
        name: data.metadata.name ?? '',
        namespace: 'default',
        data,
      },
    })),
  );
}

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'events');

/** The recorded CloudEvent fixtures of ApiServerSource events and the tick. */
export function fixtureCandidates(): Candidate[] {
  return readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json') && !name.startsWith('drplan-'))
    .sort()
    .map((name) => ({ label: `fixture ${name}`, event: JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown> }));
}

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

/** A reply of `fn` as the wiring sends it to the broker. */
export function replyCandidate(fn: FunctionName, reply: Reply): Candidate {
  const event = toCloudEvent(reply, `${EVENT_SOURCE}/${fn}`, silent).toJSON();
  const operation = reply.extensions?.operationtype;
  return { label: `${reply.type}${operation === undefined ? '' : ` (${operation})`} from ${fn}`, event };
}

/** One stub standing in for every core: each handler answers no replies. */
const stubCore = {
  reconcile: (): Promise<Outcome> => Promise.resolve([]),
  resync: (): Promise<Outcome> => Promise.resolve([]),
  onWorkflowValidated: (): Promise<Outcome> => Promise.resolve([]),
  onWorkflowChanged: (): Promise<Outcome> => Promise.resolve([]),
  onActionFinished: (): Promise<Outcome> => Promise.resolve([]),
  onExecution: (): Promise<Outcome> => Promise.resolve([]),
  onPlan: (): Promise<Outcome> => Promise.resolve([]),
  onActionRequested: (): Promise<Outcome> => Promise.resolve([]),
  onJob: (): Promise<Outcome> => Promise.resolve([]),
};

const Routes = {
  'validate-workflow': routeValidateWorkflow,
  'validate-plan': routeValidatePlan,
  'plan-stages': routePlanStages,
  revert: routeRevert,
  cancel: routeCancel,
  'run-action': routeRunAction,
} as const satisfies Record<FunctionName, (core: typeof stubCore, wake: ReturnType<typeof parseEnvelope>) => Promise<Outcome> | undefined>;

/** Whether `fn`'s route hands the event (parsed by the real envelope) to its core. */
export function handles(fn: FunctionName, event: Record<string, unknown>): boolean {
  return Routes[fn](stubCore, parseEnvelope(event)) !== undefined;
}

/** The Triggers whose subscriber is `fn`'s Knative Service. */
export const triggersOf = (fn: FunctionName): KubeObject[] =>
  objectsOf('Trigger').filter((trigger) => stringAt(trigger, 'spec', 'subscriber', 'ref', 'name') === fn);

/** The names of `fn`'s Triggers that deliver the event. */
export function deliveringTriggers(fn: FunctionName, event: Record<string, unknown>): string[] {
  const attributes = attributesOf(event);
  return triggersOf(fn)
    .filter((trigger) => triggerMatches(trigger.spec, attributes))
    .map((trigger) => trigger.metadata.name ?? '');
}
