/**
 * Create, Apply, Patch and Delete of one object — what KubernetesResource, Localization and Subscription
 * actions (and automatic rollbacks) do. Each is idempotent under retries:
 * - Create: `AlreadyExists` of an object this action created (our labels) is success.
 * - Apply / Patch / Delete: the object as it was is saved in the attempt's outputs *before* it changes
 *   (`priorState`, and for Apply whether it existed), and the first such observation is kept by every
 *   later attempt — a retry after a half-done change never records our own write as the prior state.
 *   A Secret's prior state is kept in a Secret beside it instead (`priorStateRef`): its data never
 *   enters the execution's status.
 * - Delete: NotFound is success.
 */
import { createHash } from 'node:crypto';
import type { ActionOutputs, ObjectReference } from '../../shared/api/index.js';
import type { SecretSnapshotRef } from '../../shared/api/execution.js';
import { API_VERSION, Kinds, MANAGER } from '../../shared/api/index.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { isOwnedBy, OwnershipAnnotations, ownershipAnnotations, ownershipLabels, readOwnership } from '../../shared/job-labels.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import type { ExecutorContext } from './executor.js';
import { fatal, retryable } from './executor.js';
import { apiFailure, isAlreadyExists } from './kube-errors.js';
import type { Manifest } from './manifest.js';
import { describeKey, keyOf, patchBody, priorStateOf, referenceTo } from './manifest.js';
import { rehearseChanges } from './rehearse.js';

export type Operation = 'Create' | 'Apply' | 'Patch' | 'Delete';
export type RefField = 'resourceRef' | 'localizationRef' | 'subscriptionRef';

export interface ObjectChange {
  operation: Operation;
  /** Create/Apply: the whole object (ownership added); Patch: the object's identity and the fields to merge; Delete: its identity. */
  object: Manifest;
  /** Only the first object of an action records its reference, `created` and prior state in the outputs. */
  recordsOutputs: boolean;
  refField: RefField;
}

type Observation = { ok: true; current: KubeObject | undefined } | { ok: false; result: AttemptResult };

/** The outputs of a later object of an action are not recorded, but what Create made is (see changeObjects). */
const succeeded = (change: ObjectChange, outputs: ActionOutputs): AttemptResult =>
  change.recordsOutputs ? { ok: true, outputs } : { ok: true, outputs: { createdRefs: createdRef(change, outputs) } };

const createdRef = (change: ObjectChange, outputs: ActionOutputs): ObjectReference[] => {
  const ref = outputs[change.refField];
  return change.operation === 'Create' && outputs.created === true && ref !== undefined ? [ref] : [];
};

function outputsFor(change: ObjectChange, key: ObjectKey, stored: KubeObject | undefined, created: boolean): ActionOutputs {
  return { [change.refField]: referenceTo(key, stored), created };
}

async function create(ctx: ExecutorContext, change: ObjectChange): Promise<AttemptResult> {
  const key = keyOf(change.object);
  try {
    const stored = await ctx.kube.create(change.object);
    return succeeded(change, outputsFor(change, key, stored, true));
  } catch (error: unknown) {
    if (!isAlreadyExists(error)) return apiFailure(error, `creating ${describeKey(key)}`);
  }
  return adopt(ctx, change, key);
}

/** After AlreadyExists: ours (an earlier attempt of this action created it) is success; anything else is not ours to take. */
async function adopt(ctx: ExecutorContext, change: ObjectChange, key: ObjectKey): Promise<AttemptResult> {
  const seen = await observe(ctx, key);
  if (!seen.ok) return seen.result;
  const existing = seen.current;
  if (existing === undefined) return retryable(`${describeKey(key)} already existed but was gone when read again`);
  if (isOwnedBy(existing.metadata, ctx.id)) return succeeded(change, outputsFor(change, key, existing, true));
  const owner = readOwnership(existing.metadata);
  const by = owner === undefined ? `not created by ${MANAGER}` : `created by ${MANAGER} execution ${owner.execution.name}, action ${owner.path}`;
  return fatal(`${describeKey(key)} already exists, ${by}; delete it or use operation Apply`);
}

async function observe(ctx: ExecutorContext, key: ObjectKey): Promise<Observation> {
  try {
    return { ok: true, current: await ctx.kube.get(key) };
  } catch (error: unknown) {
    return { ok: false, result: apiFailure(error, `reading ${describeKey(key)}`) };
  }
}

/** The first recorded observation of the object, or this one when none was recorded. */
function firstObservation(recorded: ActionOutputs | undefined, fresh: ActionOutputs): ActionOutputs {
  if (recorded?.created === undefined && recorded?.priorState === undefined && recorded?.priorStateRef === undefined) return fresh;
  const kept: ActionOutputs = { ...fresh };
  delete kept.created;
  delete kept.priorState;
  delete kept.priorStateRef;
  if (recorded.created !== undefined) kept.created = recorded.created;
  if (recorded.priorState !== undefined) kept.priorState = recorded.priorState;
  if (recorded.priorStateRef !== undefined) kept.priorStateRef = recorded.priorStateRef;
  return kept;
}

/** A Secret's state is never written into the execution's status: it is kept in a Secret beside it. */
const isSecret = (object: KubeObject): boolean => object.apiVersion === 'v1' && object.kind === 'Secret';

export const SNAPSHOT_KEY = 'object';

/** The snapshot's name: one per execution and action, so every attempt finds the first one's. */
export const snapshotName = (ctx: Pick<ExecutorContext, 'id'>): string =>
  `drplan-prior-${createHash('sha256').update(`${ctx.id.execution.uid}/${ctx.id.path}`).digest('hex').slice(0, 24)}`;

/**
 * Keeps the prior state of a Secret in a Secret of the same namespace (created as the plan's account, so
 * it needs `create secrets` there as well), labelled as this action's and, in the execution's own
 * namespace, owned by the execution (deleted with it). An earlier attempt's snapshot is kept: it holds
 * the first observation. The data never leaves the namespace it came from.
 */
async function snapshot(ctx: ExecutorContext, key: ObjectKey, current: KubeObject): Promise<SecretSnapshotRef | AttemptResult> {
  const namespace = key.namespace ?? ctx.namespace;
  const name = snapshotName(ctx);
  const ownedByExecution = namespace === ctx.id.execution.namespace;
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: ownershipLabels(ctx.id),
      annotations: { ...ownershipAnnotations(ctx.id), [OwnershipAnnotations.snapshotOf]: `${namespace}/${key.name}` },
      ...(ownedByExecution
        ? { ownerReferences: [{ apiVersion: API_VERSION, kind: Kinds.execution, name: ctx.id.execution.name, uid: ctx.id.execution.uid }] }
        : {}),
    },
    type: 'Opaque',
    data: { [SNAPSHOT_KEY]: Buffer.from(priorStateOf(current)).toString('base64') },
  };
  const where = `the snapshot of ${describeKey(key)} (Secret ${namespace}/${name})`;
  try {
    await ctx.kube.create(object);
  } catch (error: unknown) {
    if (!isAlreadyExists(error)) return apiFailure(error, `keeping ${where}`);
    const existing = await observe(ctx, { apiVersion: 'v1', kind: 'Secret', name, namespace });
    if (!existing.ok) return existing.result;
    if (existing.current === undefined || !isOwnedBy(existing.current.metadata, ctx.id)) return fatal(`${where} exists and is not this action's`);
  }
  return { name, namespace, key: SNAPSHOT_KEY };
}

/** The most an action records of an object's prior state: the execution's status holds it, beside every other action's. */
export const MAX_PRIOR_STATE_BYTES = 256 * 1024;

/** A Secret's snapshot (the first attempt's is kept: none is taken again once one is recorded). */
async function snapshotIfSecret(ctx: ExecutorContext, key: ObjectKey, current: KubeObject | undefined): Promise<SecretSnapshotRef | AttemptResult | undefined> {
  if (current === undefined || !isSecret(current) || ctx.recorded?.priorStateRef !== undefined) return undefined;
  return snapshot(ctx, key, current);
}

/** The prior state as recorded, or the failure of one over its budget. */
function recordablePrior(key: ObjectKey, current: KubeObject): string | AttemptResult {
  const prior = priorStateOf(current);
  const size = Buffer.byteLength(prior);
  if (size <= MAX_PRIOR_STATE_BYTES) return prior;
  return fatal(
    `${describeKey(key)}: its prior state is ${size} bytes, over the ${MAX_PRIOR_STATE_BYTES} an action may record for its rollback; nothing was changed`,
  );
}

/** Saves the object's state before the change (first observation wins); returns the outputs to record, or a failure. */
async function remember(ctx: ExecutorContext, change: ObjectChange, key: ObjectKey, current: KubeObject | undefined): Promise<ActionOutputs | AttemptResult> {
  const fresh = outputsFor(change, key, current, change.operation === 'Apply' && current === undefined);
  if (current !== undefined && !isSecret(current)) {
    const prior = recordablePrior(key, current);
    if (typeof prior !== 'string') return prior;
    fresh.priorState = prior;
  }
  if (!change.recordsOutputs) return fresh;
  const snapshotted = await snapshotIfSecret(ctx, key, current);
  if (snapshotted !== undefined && 'ok' in snapshotted) return snapshotted;
  if (snapshotted !== undefined) fresh.priorStateRef = snapshotted;
  const kept = firstObservation(ctx.recorded, fresh);
  await ctx.saveOutputs(kept);
  return kept;
}

const isResult = (value: ActionOutputs | AttemptResult): value is AttemptResult => 'ok' in value && typeof value.ok === 'boolean';

type Change = (ctx: ExecutorContext, change: ObjectChange, key: ObjectKey, current: KubeObject | undefined) => Promise<AttemptResult>;

const apply: Change = async (ctx, change, key, current) => {
  const outputs = await remember(ctx, change, key, current);
  if (isResult(outputs)) return outputs;
  try {
    const stored = await ctx.kube.apply(change.object, MANAGER);
    return succeeded(change, { ...outputs, [change.refField]: referenceTo(key, stored) });
  } catch (error: unknown) {
    return apiFailure(error, `applying ${describeKey(key)}`);
  }
};

const patch: Change = async (ctx, change, key, current) => {
  if (current === undefined) return fatal(`${describeKey(key)} not found; a Patch needs an existing object`);
  const outputs = await remember(ctx, change, key, current);
  if (isResult(outputs)) return outputs;
  try {
    await ctx.kube.mergePatch(key, patchBody(change.object));
    return succeeded(change, outputs);
  } catch (error: unknown) {
    return apiFailure(error, `patching ${describeKey(key)}`);
  }
};

const remove: Change = async (ctx, change, key, current) => {
  if (current === undefined) {
    const gone = firstObservation(ctx.recorded, outputsFor(change, key, undefined, false));
    return { ok: true, message: `${describeKey(key)} was already gone`, ...(change.recordsOutputs ? { outputs: gone } : {}) };
  }
  const wanted = change.object.metadata.uid;
  if (typeof wanted === 'string' && current.metadata.uid !== wanted) {
    const gone = firstObservation(ctx.recorded, outputsFor(change, key, undefined, false));
    const message = `${describeKey(key)} is not the object that was created (uid ${current.metadata.uid ?? 'none'}, not ${wanted}): left in place`;
    return { ok: true, message, ...(change.recordsOutputs ? { outputs: gone } : {}) };
  }
  const outputs = await remember(ctx, change, key, current);
  if (isResult(outputs)) return outputs;
  try {
    await ctx.kube.remove(key, { propagationPolicy: 'Background', uid: typeof wanted === 'string' ? wanted : undefined });
    return succeeded(change, outputs);
  } catch (error: unknown) {
    return apiFailure(error, `deleting ${describeKey(key)}`);
  }
};

const changes: Record<Exclude<Operation, 'Create'>, Change> = { Apply: apply, Patch: patch, Delete: remove };

/** Secret payloads never reach a log line, even at debug level. */
const SECRET_FIELDS = new Set(['data', 'stringData', 'binaryData']);
function loggable(object: Manifest): Record<string, unknown> {
  const secret = object.kind === 'Secret';
  return Object.fromEntries(Object.entries(object).map(([field, value]) => [field, secret && SECRET_FIELDS.has(field) ? '(redacted)' : value]));
}

/** The object's identity at info level, the whole object at debug level (the original's V(4)). */
function logChange(ctx: ExecutorContext, change: ObjectChange): void {
  const { apiVersion, kind } = change.object;
  const { name, namespace } = change.object.metadata;
  ctx.log.info({ operation: change.operation, apiVersion, kind, name, namespace }, 'object change');
  ctx.log.debug({ object: loggable(change.object) }, 'object change manifest');
}

/** Runs one change; the result carries the outputs when `recordsOutputs`. */
export async function changeObject(ctx: ExecutorContext, change: ObjectChange): Promise<AttemptResult> {
  logChange(ctx, change);
  if (change.operation === 'Create') return create(ctx, change);
  const key = keyOf(change.object);
  const seen = await observe(ctx, key);
  if (!seen.ok) return seen.result;
  return changes[change.operation](ctx, change, key, seen.current);
}

/** The objects a succeeded change created (a later object's are in its outputs' createdRefs, see `succeeded`). */
function createdBy(change: ObjectChange, result: AttemptResult): ObjectReference[] {
  if (!result.ok || result.outputs === undefined) return [];
  return change.recordsOutputs ? createdRef(change, result.outputs) : (result.outputs.createdRefs ?? []);
}

/**
 * Runs the changes in order and stops at the first failure; the outputs are the first change's, and
 * with several objects every one created is listed (`createdRefs`), also when a later one failed.
 */
export async function changeObjects(ctx: ExecutorContext, list: readonly ObjectChange[]): Promise<AttemptResult> {
  if (ctx.dryRun === true) return rehearseChanges(ctx, list);
  let first: AttemptResult | undefined;
  const created: ObjectReference[] = [];
  const withCreated = (result: AttemptResult, outputs: ActionOutputs | undefined): AttemptResult => {
    const all = list.length > 1 && created.length > 0 ? { ...outputs, createdRefs: [...created] } : outputs;
    return all === undefined ? result : { ...result, outputs: all };
  };
  for (const change of list) {
    const result = await changeObject(ctx, change);
    created.push(...createdBy(change, result));
    if (!result.ok) return withCreated(result, result.outputs ?? first?.outputs);
    first ??= result;
  }
  return first === undefined ? { ok: true } : withCreated(first, first.outputs);
}
