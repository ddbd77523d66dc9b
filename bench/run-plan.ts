/**
 * Runs one plan on the stack: applies its workflows and the plan, waits until they are Ready, creates
 * the Execute execution and waits (by watching it) until it ends. Times are taken by the benchmark's
 * clock, from the moment it creates the execution to the moment it sees the terminal phase.
 */
import { Plurals, type DRPlanExecutionStatus } from '../shared/api/index.js';
import type { Kube, KubeObject, ObjectKey } from '../shared/kube/types.js';
import { WaitTimeout, waitFor } from '../local/drill/watch.js';
import type { BenchStack } from './stack.js';
import { execution } from './plans.js';

const TERMINAL: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Cancelled']);
const FIELD_MANAGER = 'drplan-bench';

export const keyOf = (object: KubeObject): ObjectKey => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace,
});

export interface Finished {
  name: string;
  phase: string;
  message?: string | undefined;
  status: DRPlanExecutionStatus;
  /** The final object, as JSON text (its size is what etcd stores, roughly). */
  object: KubeObject;
  createdMs: number;
  /** From the creation to the terminal phase seen, in ms (the benchmark's clock). */
  elapsedMs: number;
}

interface Status {
  phase?: unknown;
  observedGeneration?: unknown;
  message?: unknown;
}

function readyOrInvalid(object: KubeObject): string | undefined {
  const status = (object.status ?? {}) as Status;
  if (status.observedGeneration !== object.metadata.generation) return undefined;
  if (status.phase === 'Ready') return 'Ready';
  return status.phase === 'Invalid' ? `Invalid: ${JSON.stringify(object.status)}` : undefined;
}

/** Applies the workflows and the plan and waits until all of them are Ready. */
export async function applyReady(bench: BenchStack, objects: readonly KubeObject[], timeoutMs: number): Promise<void> {
  for (const object of objects) await bench.kube.apply(object, FIELD_MANAGER);
  await Promise.all(
    objects.map(async (object) => {
      const key = keyOf(object);
      const plural = key.kind === 'DRWorkflow' ? Plurals.DRWorkflow : Plurals.DRPlan;
      const result = await waitFor({ kube: bench.kube, kubeConfig: bench.kubeConfig, plural }, key, readyOrInvalid, {
        timeoutMs,
        what: `${key.kind} ${key.name} to be Ready`,
      });
      if (result !== 'Ready') throw new Error(`${key.kind} ${key.name}: ${result}`);
    }),
  );
}

/** Creates an Execute execution of `plan` and waits until it ends. */
export async function executePlan(bench: BenchStack, plan: string, name: string, timeoutMs: number): Promise<Finished> {
  const object = execution(name, plan);
  const key = keyOf(object);
  const createdMs = Date.now();
  await bench.kube.create(object);
  const final = await waitFor(
    { kube: bench.kube, kubeConfig: bench.kubeConfig, plural: Plurals.DRPlanExecution },
    key,
    (seen) => {
      const phase = (seen.status as Status | undefined)?.phase;
      return typeof phase === 'string' && TERMINAL.has(phase) ? seen : undefined;
    },
    { timeoutMs, what: `DRPlanExecution ${name} to finish` },
  );
  const elapsedMs = Date.now() - createdMs;
  const status = (final.status ?? {}) as DRPlanExecutionStatus;
  return { name, phase: status.phase ?? 'Unknown', message: status.message, status, object: final, createdMs, elapsedMs };
}

/** The execution as stored now (a fresh read, for its size). */
export async function storedSize(kube: Kube, key: ObjectKey): Promise<number> {
  const object = await kube.get(key);
  return object === undefined ? 0 : Buffer.byteLength(JSON.stringify(object), 'utf8');
}

/** How many actions needed more than one attempt (a lost or failed attempt was requested again). */
export function retriedActions(status: DRPlanExecutionStatus): number {
  return (status.stageStatuses ?? [])
    .flatMap((stage) => (stage.workflowExecutions ?? []).flatMap((workflow) => workflow.actionStatuses ?? []))
    .filter((action) => (action.attempt ?? 1) > 1).length;
}

/** The progress of an execution that did not end within its budget ("87/300 actions"). */
export interface Unfinished {
  unfinished: true;
  progress: string;
  budgetMs: number;
}

/**
 * Like `executePlan`, but an execution still running after `budgetMs` is deleted (so that it does
 * not load the scenarios after it) and reported with the progress it had reached.
 */
export async function executeWithin(bench: BenchStack, plan: string, name: string, budgetMs: number): Promise<Finished | Unfinished> {
  try {
    return await executePlan(bench, plan, name, budgetMs);
  } catch (error: unknown) {
    if (!(error instanceof WaitTimeout)) throw error;
    await bench.kube.remove(keyOf(execution(name, plan)));
    const progress = (error.last?.status as { progress?: unknown } | undefined)?.progress;
    return { unfinished: true, progress: typeof progress === 'string' ? progress : 'unknown', budgetMs };
  }
}

export const isUnfinished = (outcome: Finished | Unfinished): outcome is Unfinished => 'unfinished' in outcome;
