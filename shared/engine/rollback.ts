/**
 * The rollback planner of a Revert (pure, no I/O). A saga: every action of the target execution that may
 * have had an effect — Succeeded; Failed after its request was sent or its object written; Unknown;
 * cancelled while running — is undone in reverse order of completion, one at a time: by its custom
 * `rollback`, or automatically by an ordinary KubernetesResource action (Delete what was created, Apply
 * a recorded prior state), so the same executors run it. What cannot be undone becomes a `Skip` step with
 * its reason; one whose effect may remain is marked `effectLeft`, and the Revert does not end Succeeded.
 */
import { stringify } from 'yaml';
import { parseYamlValue } from '../yaml.js';
import type { SecretSnapshotRef } from '../api/execution.js';
import type {
  Action,
  ActionOutputs,
  ActionStatus,
  ActionType,
  DRPlanExecution,
  DRPlanExecutionStatus,
  NamespacedRef,
  ObjectReference,
  ResolvedPlan,
  RollbackAction,
  RollbackStep,
} from '../api/index.js';
import { isFinalPhase } from '../api/index.js';
import { actionPath } from './action-path.js';
import { possibleEffect } from './effects.js';

export interface RollbackInput {
  target: { resolved: ResolvedPlan; status: DRPlanExecutionStatus };
  /** Paths already rolled back by an earlier Revert of the same target: never undone twice. */
  alreadyRolledBack?: ReadonlySet<string>;
}

const CLUSTERNET_API_VERSION = 'apps.clusternet.io/v1alpha1';
/** Fields the API server owns; a re-created or restored object must not carry them. */
export const SERVER_METADATA: ReadonlySet<string> = new Set([
  'resourceVersion',
  'uid',
  'managedFields',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/** An action of the target that may have had an effect, located in its frozen plan. */
interface Done {
  path: string;
  /** Its phase in the target: Succeeded, or Failed/Unknown/Running when it may have had an effect all the same. */
  phase: ActionStatus['phase'];
  /** Why a non-Succeeded action is compensated: what it may have done. */
  because?: string | undefined;
  stage: string;
  workflowIndex: number;
  workflowRef: NamespacedRef;
  action: Action;
  outputs: ActionOutputs;
  /** Position in the plan (stage, workflow, action) — the tiebreak. */
  order: readonly [number, number, number];
  /** Completion time in ms; -Infinity when missing or unreadable (undone last). */
  completedAt: number;
}

interface ObjectId {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  name?: string | undefined;
  namespace?: string | undefined;
  /** The uid recorded when the action created it: the rollback deletes that object and no other of the name. */
  uid?: string | undefined;
}
type Manifest = Record<string, unknown>;
type Undo =
  | { mode: 'Automatic'; operation: 'Delete' | 'Apply'; manifest: Manifest | Manifest[]; stateFrom?: SecretSnapshotRef; reason: string }
  | { mode: 'Skip'; reason: string; effectLeft: boolean };
/** What an object action did: its operation, the object, and whether a reference to it was recorded. */
interface Change {
  operation: string;
  id: ObjectId;
  recorded: boolean;
  outputs: ActionOutputs;
}

/** The rollback list of a target execution, in saga order. */
export function planRollback(input: RollbackInput): RollbackStep[] {
  const skip = input.alreadyRolledBack ?? new Set<string>();
  return affectingActions(input.target)
    .filter((done) => !skip.has(done.path))
    .sort(sagaOrder)
    .map(toStep);
}

function affectingActions(target: RollbackInput['target']): Done[] {
  return (target.resolved.stages ?? []).flatMap((stage, s) =>
    stage.workflows.flatMap((workflow, w) =>
      workflow.actions.flatMap((action, a): Done[] => {
        const status = actionStatus(target.status, stage.name, w, action.name);
        if (status === undefined) return [];
        const because = status.phase === 'Succeeded' ? undefined : possibleEffect(action, status);
        if (status.phase !== 'Succeeded' && because === undefined) return [];
        const completedAt = Date.parse(status.completionTime ?? status.lastUpdateTime ?? status.startTime ?? '');
        return [
          {
            path: actionPath(stage.name, w, action.name),
            phase: status.phase,
            because,
            stage: stage.name,
            workflowIndex: w,
            workflowRef: workflow.workflowRef,
            action,
            outputs: status.outputs ?? {},
            order: [s, w, a],
            completedAt: Number.isNaN(completedAt) ? -Infinity : completedAt,
          },
        ];
      }),
    ),
  );
}

function actionStatus(status: DRPlanExecutionStatus, stage: string, workflowIndex: number, action: string): ActionStatus | undefined {
  const workflow = status.stageStatuses?.find((s) => s.name === stage)?.workflowExecutions?.[workflowIndex];
  return workflow?.actionStatuses?.find((a) => a.name === action);
}

/** Latest completion first; on a tie, later in the plan first. */
function sagaOrder(a: Done, b: Done): number {
  if (a.completedAt !== b.completedAt) return b.completedAt > a.completedAt ? 1 : -1;
  for (const i of [0, 1, 2] as const) {
    if (a.order[i] !== b.order[i]) return b.order[i] - a.order[i];
  }
  return 0;
}

function toStep(done: Done): RollbackStep {
  const base = { rollbackOf: done.path, stage: done.stage, workflowIndex: done.workflowIndex, workflowRef: done.workflowRef, actionName: done.action.name };
  const why = done.because === undefined ? '' : `${done.phase}, but ${done.because}`;
  if (done.action.revertPolicy === 'Ignore') return { ...base, mode: 'Skip', reason: 'revertPolicy Ignore: a Revert leaves its effect as it is' };
  if (done.action.rollback) {
    return {
      ...base,
      mode: 'Custom',
      action: customAction(done.action.name, done.action.rollback),
      ...(why === '' ? {} : { reason: `run its rollback: ${why}` }),
    };
  }
  const undo = automaticUndo[done.action.type](done);
  const reason = why === '' ? undo.reason : `${undo.reason} (${why})`;
  if (undo.mode === 'Skip') return { ...base, mode: 'Skip', reason, ...(undo.effectLeft ? { effectLeft: true } : {}) };
  return { ...base, mode: 'Automatic', action: resourceAction(done.action, undo), reason };
}

/** The frozen custom rollback, named; its `dependsOn` named actions of the forward workflow, so it is dropped. */
function customAction(actionName: string, rollback: RollbackAction): Action {
  const action: RollbackAction = { ...rollback };
  delete action.dependsOn;
  return { ...action, name: rollback.name ?? `${actionName}-rollback` };
}

function resourceAction(source: Action, undo: Extract<Undo, { mode: 'Automatic' }>): Action {
  const { operation, manifest, stateFrom } = undo;
  return {
    name: `${source.name}-rollback`,
    type: 'KubernetesResource',
    timeout: source.timeout,
    ...(source.retryPolicy ? { retryPolicy: source.retryPolicy } : {}),
    resource: {
      operation,
      manifest: Array.isArray(manifest) ? manifest.map((doc) => stringify(doc)).join('---\n') : stringify(manifest),
      ...(stateFrom === undefined ? {} : { stateFrom }),
    },
  };
}

const automaticUndo: Record<ActionType, (done: Done) => Undo> = {
  HTTP: undoHttp,
  Job: undoJob,
  Localization: (done) => undoChange(clusternetChange(done, 'Localization', done.outputs.localizationRef, done.action.localization)),
  Subscription: (done) => undoChange(clusternetChange(done, 'Subscription', done.outputs.subscriptionRef, done.action.subscription)),
  KubernetesResource: (done) => undoChange(resourceChange(done)),
};

/** Nothing to undo: the action cannot have left anything behind. */
const skipped = (reason: string): Undo => ({ mode: 'Skip', reason, effectLeft: false });
/** Not undone, and its effect may remain: the Revert reports it and does not end Succeeded. */
const leftBehind = (reason: string): Undo => ({ mode: 'Skip', reason, effectLeft: true });

/** Methods that change nothing at the target (RFC 9110 §9.2.1): nothing to undo. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

function undoHttp(done: Done): Undo {
  const method = done.action.http?.method ?? 'GET';
  if (SAFE_METHODS.has(method)) return skipped(`an HTTP ${method} changes nothing at its target; nothing to undo`);
  return leftBehind(`an HTTP ${method} without a custom rollback cannot be undone automatically; undo its effect by hand, or give the action a rollback`);
}

function undoJob(done: Done): Undo {
  const ref = done.outputs.jobRef;
  if (ref === undefined) return skipped('no Job reference was recorded; nothing to delete');
  const namespace = ref.namespace ?? done.action.job?.namespace ?? done.workflowRef.namespace;
  // The reference is recorded before the create, its uid once the Job exists: without a uid, a Job of that name is not known to be ours.
  if (ref.uid === undefined)
    return skipped(`Job ${namespace}/${ref.name} was never recorded as created (no uid); a Job of that name is not this action's to delete`);
  const id = { apiVersion: ref.apiVersion ?? 'batch/v1', kind: ref.kind ?? 'Job', name: ref.name, namespace, uid: ref.uid };
  return deleteObject(id, 'created by this action');
}

function clusternetChange(
  done: Done,
  kind: 'Localization' | 'Subscription',
  ref: ObjectReference | undefined,
  config: { name: string; namespace?: string | undefined; operation: string } | undefined,
): Change {
  const fallback = { apiVersion: CLUSTERNET_API_VERSION, kind, name: config?.name, namespace: config?.namespace ?? done.workflowRef.namespace };
  return { operation: config?.operation ?? 'Create', id: mergeId(ref, fallback), recorded: ref !== undefined, outputs: done.outputs };
}

function resourceChange(done: Done): Change {
  const ref = done.outputs.resourceRef;
  const fromManifest = manifestId(done.action.resource?.manifest);
  // A recorded reference is authoritative: one without a namespace names a cluster-scoped object.
  const fallback = ref === undefined ? { ...fromManifest, namespace: fromManifest.namespace ?? done.workflowRef.namespace } : fromManifest;
  return { operation: done.action.resource?.operation ?? 'Create', id: mergeId(ref, fallback), recorded: ref !== undefined, outputs: done.outputs };
}

function mergeId(ref: ObjectReference | undefined, fallback: ObjectId): ObjectId {
  return {
    apiVersion: ref?.apiVersion ?? fallback.apiVersion,
    kind: ref?.kind ?? fallback.kind,
    name: ref?.name ?? fallback.name,
    namespace: ref?.namespace ?? fallback.namespace,
    uid: ref?.uid,
  };
}

function manifestId(manifest: string | undefined): ObjectId {
  const object = parseObject(manifest, parseYamlValue);
  return object === undefined ? {} : manifestIdentity(object);
}

function manifestIdentity(object: Manifest): ObjectId {
  const metadata = asRecord(object.metadata);
  return { apiVersion: asString(object.apiVersion), kind: asString(object.kind), name: asString(metadata?.name), namespace: asString(metadata?.namespace) };
}

function undoChange(change: Change): Undo {
  if (change.operation === 'Create') return undoCreate(change);
  const { priorState, priorStateRef } = change.outputs;
  if (priorStateRef !== undefined) return restoreFromSnapshot(change, priorStateRef);
  if (change.operation === 'Delete') {
    if (priorState === undefined)
      return leftBehind(`${describe(change.id)} was deleted by this action but its prior state was not recorded; it cannot be re-created`);
    return restore(change.id, priorState, 're-create', 'deleted by this action');
  }
  if (priorState !== undefined) return restore(change.id, priorState, 'restore', `changed by this ${change.operation}`);
  if (change.operation === 'Apply' && change.outputs.created === true) return deleteObject(change.id, 'created by this Apply');
  return leftBehind(
    `${describe(change.id)} was changed by a ${change.operation} without a custom rollback and no prior state was recorded; nothing to restore`,
  );
}

function undoCreate(change: Change): Undo {
  const every = change.outputs.createdRefs ?? [];
  if (every.length > 1) return deleteEvery(every);
  if (change.outputs.created === false) return skipped(`${describe(change.id)} already existed; this action did not create it, so it is left in place`);
  if (!change.recorded && change.outputs.created !== true)
    return skipped(`no reference to the created ${change.id.kind ?? 'object'} was recorded; nothing to delete`);
  return deleteObject(change.id, 'created by this action');
}

/** Every object a multi-document Create made, newest first, each only if it is still the one created (its uid). */
function deleteEvery(refs: readonly ObjectReference[]): Undo {
  const docs: Manifest[] = [...refs].reverse().map((ref) => ({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }), ...(ref.uid === undefined ? {} : { uid: ref.uid }) },
  }));
  const names = [...refs]
    .reverse()
    .map((ref) => describe(ref))
    .join(', ');
  return { mode: 'Automatic', operation: 'Delete', manifest: docs, reason: `delete ${names}, created by this action` };
}

function deleteObject(id: ObjectId, why: string): Undo {
  const missing = missingIdentity(id.apiVersion, id.kind, id.name);
  if (missing !== undefined) return leftBehind(`cannot delete the object ${why}: its ${missing} was not recorded`);
  const metadata = { name: id.name, ...(id.namespace === undefined ? {} : { namespace: id.namespace }), ...(id.uid === undefined ? {} : { uid: id.uid }) };
  return { mode: 'Automatic', operation: 'Delete', manifest: { apiVersion: id.apiVersion, kind: id.kind, metadata }, reason: `delete ${describe(id)}, ${why}` };
}

/** Apply the prior state kept in a snapshot Secret: the frozen manifest only names the object; run-action reads the state when it runs. */
function restoreFromSnapshot(change: Change, ref: SecretSnapshotRef): Undo {
  const { id } = change;
  const missing = missingIdentity(id.apiVersion, id.kind, id.name);
  if (missing !== undefined) return leftBehind(`the object changed by this ${change.operation} has no recorded ${missing}; its snapshot cannot be applied`);
  const metadata = id.namespace === undefined ? { name: id.name } : { name: id.name, namespace: id.namespace };
  const verb = change.operation === 'Delete' ? 're-create' : 'restore';
  return {
    mode: 'Automatic',
    operation: 'Apply',
    manifest: { apiVersion: id.apiVersion, kind: id.kind, metadata },
    stateFrom: ref,
    reason: `${verb} ${describe(id)} from the snapshot kept in Secret ${ref.namespace}/${ref.name} (changed by this ${change.operation})`,
  };
}

/** Apply the recorded prior state (server fields stripped), filling identity fields it lacks. */
function restore(target: ObjectId, priorState: string, verb: 're-create' | 'restore', why: string): Undo {
  const prior = parseObject(priorState, JSON.parse);
  if (prior === undefined)
    return leftBehind(`the recorded prior state of ${describe(target)} is not a JSON object; it cannot be ${verb === 'restore' ? 'restored' : 're-created'}`);
  const manifest = withIdentity(stripServerFields(prior), target);
  const id = manifestIdentity(manifest);
  const missing = missingIdentity(id.apiVersion, id.kind, id.name);
  if (missing !== undefined) return leftBehind(`the recorded prior state of ${describe(target)} has no ${missing}; it cannot be applied`);
  return { mode: 'Automatic', operation: 'Apply', manifest, reason: `${verb} ${describe(id)} from its recorded prior state (${why})` };
}

function stripServerFields(object: Manifest): Manifest {
  const metadata = Object.entries(asRecord(object.metadata) ?? {}).filter(([key]) => !SERVER_METADATA.has(key));
  const rest = Object.entries(object).filter(([key]) => key !== 'status');
  return { ...Object.fromEntries(rest), metadata: Object.fromEntries(metadata) };
}

function withIdentity(object: Manifest, id: ObjectId): Manifest {
  const metadata = asRecord(object.metadata) ?? {};
  const namespace = asString(metadata.namespace) ?? id.namespace;
  return {
    ...object,
    apiVersion: asString(object.apiVersion) ?? id.apiVersion,
    kind: asString(object.kind) ?? id.kind,
    metadata: { ...metadata, name: asString(metadata.name) ?? id.name, ...(namespace === undefined ? {} : { namespace }) },
  };
}

function missingIdentity(apiVersion: string | undefined, kind: string | undefined, name: string | undefined): string | undefined {
  if (apiVersion === undefined) return 'apiVersion';
  if (kind === undefined) return 'kind';
  return name === undefined ? 'name' : undefined;
}

const describe = (id: ObjectId): string => `${id.kind ?? 'object'} ${id.namespace === undefined ? '' : `${id.namespace}/`}${id.name ?? '(unnamed)'}`;

function parseObject(text: string | undefined, parse: (text: string) => unknown): Manifest | undefined {
  if (text === undefined) return undefined;
  try {
    return asRecord(parse(text));
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Manifest | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Manifest) : undefined;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Paths that earlier Reverts of the same target rolled back successfully (to exclude on a re-run). */
export function rolledBackPaths(earlierReverts: readonly DRPlanExecutionStatus[]): Set<string> {
  const paths = earlierReverts.flatMap((status) =>
    (status.stageStatuses ?? []).flatMap((stage) =>
      (stage.workflowExecutions ?? []).flatMap((workflow) =>
        (workflow.actionStatuses ?? []).flatMap((a) => (a.phase === 'Succeeded' && a.rollbackOf !== undefined ? [a.rollbackOf] : [])),
      ),
    ),
  );
  return new Set(paths);
}

/** Checks a Revert and its target; returns a problem naming the field, or undefined when the target can be reverted. */
export function checkRevertTarget(revert: DRPlanExecution, target: DRPlanExecution | undefined): string | undefined {
  const ref = revert.spec.revertExecutionRef;
  if (revert.spec.operationType !== 'Revert') return `spec.operationType: is ${revert.spec.operationType}, not Revert`;
  if (ref === undefined || ref === '') return 'spec.revertExecutionRef: is required for a Revert; name the execution to roll back';
  if (target === undefined) return `spec.revertExecutionRef: execution "${ref}" not found in namespace "${revert.metadata.namespace ?? 'default'}"`;
  if (target.spec.planRef !== revert.spec.planRef) {
    return `spec.revertExecutionRef: execution "${ref}" belongs to plan "${target.spec.planRef}", not to plan "${revert.spec.planRef}"`;
  }
  return checkTargetState(ref, target);
}

function checkTargetState(ref: string, target: DRPlanExecution): string | undefined {
  if (target.spec.operationType !== 'Execute')
    return `spec.revertExecutionRef: execution "${ref}" is a ${target.spec.operationType}; only an Execute can be reverted`;
  if (target.spec.dryRun === true) return `spec.revertExecutionRef: execution "${ref}" is a dry run: it changed nothing, so there is nothing to revert`;
  const phase = target.status?.phase ?? 'Pending';
  if (!isFinalPhase(phase)) {
    return `spec.revertExecutionRef: execution "${ref}" is ${phase}; only a Succeeded, Failed or Cancelled execution can be reverted`;
  }
  if (target.status?.resolved?.stages === undefined) {
    return `spec.revertExecutionRef: execution "${ref}" has no frozen plan (status.resolved.stages); what it ran is unknown, so it cannot be reverted`;
  }
  return undefined;
}
