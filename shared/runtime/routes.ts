/**
 * Which core handler each function calls for each wake-up (the README's event flow table). Written against the
 * shapes of the cores, not their modules, so the table is tested with stub cores; the entry files
 * (functions/<name>/index.ts) pair each route with its real core. `undefined` = not for this function.
 */
import { Annotations, API_VERSION, Kinds, type Kind } from '../api/constants.js';
import type { OperationType } from '../api/plan.js';
import type { ApiServerAction, WakeUp } from './envelope.js';
import { badEvent } from '../errors.js';
import type { ActionFinished, ActionRequested, ObjectId, WorkflowValidated } from '../event-data.js';
import { EventTypes } from '../events.js';
import { cancelRequested, isFinalPhase } from '../execution/objects.js';
import type { Outcome } from '../function-deps.js';
import type { KubeObject } from '../kube/types.js';

export interface ReconcilingCore {
  reconcile(id: ObjectId): Promise<Outcome>;
  resync(): Promise<Outcome>;
}
export interface PlanValidatorCore extends ReconcilingCore {
  onWorkflowValidated(data: WorkflowValidated): Promise<Outcome>;
  onWorkflowChanged(id: ObjectId): Promise<Outcome>;
}
export interface ExecutionDriverCore extends ReconcilingCore {
  onActionFinished(data: ActionFinished): Promise<Outcome>;
}
export interface CancelCore {
  onExecution(id: ObjectId): Promise<Outcome>;
  onPlan(id: ObjectId): Promise<Outcome>;
}
export interface RunActionCore {
  onActionRequested(data: ActionRequested): Promise<Outcome>;
  onJob(job: KubeObject): Promise<Outcome>;
}

/** The object's name and namespace; our kinds and Jobs are namespaced, so a missing namespace is malformed. */
export function objectIdOf(object: KubeObject): ObjectId {
  const { name, namespace } = object.metadata;
  if (name === undefined || name === '') throw badEvent(`${object.kind}: data.metadata.name is missing`);
  if (namespace === undefined || namespace === '') throw badEvent(`${object.kind} ${name}: data.metadata.namespace is missing`);
  return { name, namespace };
}

/**
 * The object of an ApiServerSource event about `apiVersion`/`kind` (any action unless `actions` says
 * which), or undefined when the wake-up is something else.
 */
export function objectOf(wake: WakeUp, kind: string, actions?: readonly ApiServerAction[], apiVersion = API_VERSION): KubeObject | undefined {
  if (wake.source !== 'apiserver' || wake.object.apiVersion !== apiVersion || wake.object.kind !== kind) return undefined;
  return actions === undefined || actions.includes(wake.action) ? wake.object : undefined;
}

/** An ApiServerSource event about one of our kinds. */
export const drObject = (wake: WakeUp, kind: Kind, actions?: readonly ApiServerAction[]): KubeObject | undefined => objectOf(wake, kind, actions);

/** `spec.operationType` of an execution as the event carried it (immutable, so the payload can route). */
export function operationTypeOf(execution: KubeObject): string | undefined {
  const spec = execution.spec as { operationType?: unknown } | undefined;
  return typeof spec?.operationType === 'string' ? spec.operationType : undefined;
}

const LIVE: readonly ApiServerAction[] = ['add', 'update'];

const annotationOf = (object: KubeObject, key: string): string | undefined => object.metadata.annotations?.[key];

/**
 * Whether an update of an execution, as the event carried it, may give its orchestrator something to
 * do. Every status write (a claim, a heartbeat, a result) is an update event; while the execution runs,
 * the writer of a status already replies with what follows from it (action.requested, action.finished),
 * so reconciling each such update only reads the object again and races the real step. An update is
 * worth a reconcile when the execution has not started, is being deleted, is asked to cancel, or its
 * spec changed since the status was written. A finished one is not: whoever wrote the final phase
 * records it in the plan's history next, and a second recorder would only race it (the resync tick
 * completes the bookkeeping of a writer that crashed in between, ADR 11). The event is only a hint:
 * anything missed is picked up by the resync tick, as it would be for a lost event.
 */
export function executionUpdateMatters(execution: KubeObject): boolean {
  const status = (execution.status ?? {}) as { phase?: unknown; resolved?: unknown; observedGeneration?: unknown };
  if (execution.metadata.deletionTimestamp !== undefined) return true;
  if (status.resolved === undefined) return true;
  if (typeof status.phase === 'string' && isFinalPhase(status.phase)) return false;
  if (cancelRequested(execution)) return true;
  return execution.metadata.generation !== undefined && status.observedGeneration !== execution.metadata.generation;
}

export function routeValidateWorkflow(core: ReconcilingCore, wake: WakeUp): Promise<Outcome> | undefined {
  if (wake.source === 'tick') return core.resync();
  const workflow = drObject(wake, Kinds.workflow);
  return workflow === undefined ? undefined : core.reconcile(objectIdOf(workflow));
}

export function routeValidatePlan(core: PlanValidatorCore, wake: WakeUp): Promise<Outcome> | undefined {
  if (wake.source === 'tick') return core.resync();
  if (wake.source === 'drplan') return wake.type === EventTypes.workflowValidated ? core.onWorkflowValidated(wake.data) : undefined;
  const plan = drObject(wake, Kinds.plan, LIVE);
  if (plan !== undefined) return core.reconcile(objectIdOf(plan));
  const deleted = drObject(wake, Kinds.workflow, ['delete']);
  return deleted === undefined ? undefined : core.onWorkflowChanged(objectIdOf(deleted));
}

/** plan-stages (`Execute`) and revert (`Revert`) route alike, each to the executions of its operation. */
export function executionRoute(operation: OperationType): (core: ExecutionDriverCore, wake: WakeUp) => Promise<Outcome> | undefined {
  return (core, wake) => {
    if (wake.source === 'tick') return core.resync();
    if (wake.source === 'drplan') {
      return wake.type === EventTypes.actionFinished && wake.data.operationType === operation ? core.onActionFinished(wake.data) : undefined;
    }
    const execution = drObject(wake, Kinds.execution, LIVE);
    if (execution === undefined || operationTypeOf(execution) !== operation) return undefined;
    if (wake.source === 'apiserver' && wake.action === 'update' && !executionUpdateMatters(execution)) return undefined;
    return core.reconcile(objectIdOf(execution));
  };
}
export const routePlanStages = executionRoute('Execute');
export const routeRevert = executionRoute('Revert');

/**
 * cancel acts on an update whose object, as the event carried it, bears the cancel annotation (a
 * DRPlanExecution) or the cancel trigger (a DRPlan); it reads the object again before acting. Every
 * other update (most are status writes) is answered at once, without a read.
 */
export function routeCancel(core: CancelCore, wake: WakeUp): Promise<Outcome> | undefined {
  const execution = drObject(wake, Kinds.execution, ['update']);
  if (execution !== undefined) return cancelRequested(execution) ? core.onExecution(objectIdOf(execution)) : undefined;
  const plan = drObject(wake, Kinds.plan, ['update']);
  return plan !== undefined && annotationOf(plan, Annotations.trigger) === 'cancel' ? core.onPlan(objectIdOf(plan)) : undefined;
}

export function routeRunAction(core: RunActionCore, wake: WakeUp): Promise<Outcome> | undefined {
  if (wake.source === 'drplan') return wake.type === EventTypes.actionRequested ? core.onActionRequested(wake.data) : undefined;
  const job = objectOf(wake, 'Job', LIVE, 'batch/v1');
  return job === undefined ? undefined : core.onJob(job);
}
