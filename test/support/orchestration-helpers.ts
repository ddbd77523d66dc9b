/**
 * Helpers for the orchestrator tests (plan-stages, revert, cancel, the shared execution driver): a clock
 * that moves only when told, a logger that keeps its lines, builders for workflows, plans and executions
 * as the API stores them, and a stand-in for run-action built on the engine's claimAttempt/recordAttempt.
 */
import type { DRPlan, DRPlanExecution, DRPlanExecutionStatus } from '../../shared/api/index.js';
import { Annotations, API_VERSION, DRPlanExecutionSchema, DRPlanSchema, Kinds } from '../../shared/api/index.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { claimAttempt, recordAttempt } from '../../shared/engine/attempt.js';
import { findActionStatus } from '../../shared/engine/status-tree.js';
import type { ActionFinished, ActionRequested } from '../../shared/event-data.js';
import { ActionRequestedSchema } from '../../shared/event-data.js';
import { EventTypes } from '../../shared/events.js';
import type { Clock, CoreDeps, Logger, Outcome, Reply } from '../../shared/function-deps.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { FakeKube } from './fake-kube.js';

export const T0 = new Date('2026-03-01T10:00:00.000Z');
export const NS = 'default';

type Raw = Record<string, unknown>;

export interface TestClock extends Clock {
  advance(seconds: number): void;
}

export function testClock(start = T0): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

export function linesLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const write =
    (level: LogLine['level']) =>
    (object: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...object } });
    };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => linesLogger(lines, { ...bindings, ...more }),
  };
}

export interface Harness extends CoreDeps {
  kube: FakeKube;
  clock: TestClock;
  log: Logger & { lines: LogLine[] };
}

export function harness(kube = new FakeKube()): Harness {
  return { kube, clock: testClock(), log: linesLogger() };
}

export const executionKey = (name: string): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.execution, name, namespace: NS });
export const planKey = (name: string): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.plan, name, namespace: NS });
export const id = (name: string): { name: string; namespace: string } => ({ name, namespace: NS });

/** An HTTP action; `extra` overrides (e.g. `timeout`, `rollback`, `retryPolicy`). */
export const http = (name: string, extra: Raw = {}): Raw => ({ name, type: 'HTTP', http: { url: `https://svc.example/${name}` }, ...extra });

/** A Job action (one container), as the Job executor runs it. */
export const jobAction = (name: string, extra: Raw = {}): Raw => ({
  name,
  type: 'Job',
  job: { template: { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }], restartPolicy: 'Never' } } } } },
  ...extra,
});

export function workflowObject(name: string, actions: readonly (string | Raw)[]): KubeObject {
  const list = actions.map((action) => (typeof action === 'string' ? http(action) : action));
  return { apiVersion: API_VERSION, kind: Kinds.workflow, metadata: { name, namespace: NS }, spec: { actions: list }, status: { phase: 'Ready' } };
}

export interface StageOptions {
  dependsOn?: string[];
  parallel?: boolean;
  failurePolicy?: string;
}

export function stageOf(name: string, workflows: readonly string[], options: StageOptions = {}): Raw {
  return { name, workflows: workflows.map((workflow) => ({ workflowRef: { name: workflow } })), ...options };
}

export function planObject(name: string, stages: readonly Raw[], status: Raw = { phase: 'Ready' }): KubeObject {
  return { apiVersion: API_VERSION, kind: Kinds.plan, metadata: { name, namespace: NS, generation: 1 }, spec: { stages: [...stages] }, status };
}

export interface ExecutionOptions {
  operationType?: 'Execute' | 'Revert';
  revertExecutionRef?: string;
  cancel?: boolean;
  params?: Array<{ name: string; value: string }>;
}

export function executionObject(name: string, plan: string, options: ExecutionOptions = {}): KubeObject {
  const spec: Raw = { planRef: plan, operationType: options.operationType ?? 'Execute' };
  if (options.revertExecutionRef !== undefined) spec.revertExecutionRef = options.revertExecutionRef;
  if (options.params !== undefined) spec.params = options.params;
  const metadata: KubeObject['metadata'] = { name, namespace: NS };
  if (options.cancel === true) metadata.annotations = { [Annotations.cancel]: 'true' };
  return { apiVersion: API_VERSION, kind: Kinds.execution, metadata, spec };
}

/** Seeds the workflows (name → actions) and a plan over them. */
export function seedPlan(kube: FakeKube, plan: string, stages: readonly Raw[], workflows: Record<string, readonly (string | Raw)[]>): void {
  for (const [name, actions] of Object.entries(workflows)) kube.seed(workflowObject(name, actions));
  kube.seed(planObject(plan, stages));
}

export async function readExecution(kube: FakeKube, name: string): Promise<DRPlanExecution> {
  const object = await kube.get(executionKey(name));
  if (object === undefined) throw new Error(`execution ${name} not found`);
  return DRPlanExecutionSchema.parse(object);
}

export async function readPlan(kube: FakeKube, name: string): Promise<DRPlan> {
  const object = await kube.get(planKey(name));
  if (object === undefined) throw new Error(`plan ${name} not found`);
  return DRPlanSchema.parse(object);
}

export const planStatusOf = async (kube: FakeKube, name: string): Promise<NonNullable<DRPlan['status']>> => (await readPlan(kube, name)).status ?? {};

export const statusOf = async (kube: FakeKube, name: string): Promise<DRPlanExecutionStatus> => (await readExecution(kube, name)).status ?? {};

export const actionPhase = (status: DRPlanExecutionStatus, path: string): string | undefined => findActionStatus(status, path)?.phase;

export const replyTypes = (outcome: Outcome): string[] => outcome.map((reply) => reply.type.replace('com.tencent.bkbcs.dr.', ''));

export const requestsIn = (outcome: Outcome): ActionRequested[] =>
  outcome.filter((reply) => reply.type === EventTypes.actionRequested).map((reply) => ActionRequestedSchema.parse(reply.data));

export const requestedPaths = (outcome: Outcome): string[] => requestsIn(outcome).map((request) => request.path);

/** Writes `status` over the stored one, conditionally, as run-action does. */
async function writeStatus(kube: FakeKube, object: KubeObject, status: DRPlanExecutionStatus): Promise<void> {
  await kube.replaceStatus({ ...object, status });
}

async function storedExecution(kube: FakeKube, name: string): Promise<{ object: KubeObject; status: DRPlanExecutionStatus }> {
  const object = await kube.get(executionKey(name));
  if (object === undefined) throw new Error(`execution ${name} not found`);
  return { object, status: DRPlanExecutionSchema.parse(object).status ?? {} };
}

/** run-action's claim of a requested attempt: Running, with `outputs` recorded when given (a Job's jobRef). */
export async function claim(h: Harness, request: ActionRequested, outputs?: Raw): Promise<void> {
  const { object, status } = await storedExecution(h.kube, request.execution.name);
  const claimed = claimAttempt(status, request.path, request.attempt, h.clock.now());
  if (!claimed.claimed) throw new Error(`attempt ${request.attempt} of ${request.path} could not be claimed`);
  const action = findActionStatus(claimed.status, request.path);
  if (outputs !== undefined && action !== undefined) action.outputs = outputs;
  await writeStatus(h.kube, object, claimed.status);
}

/** run-action's report of a claimed attempt; returns the action.finished data it would reply with. */
export async function report(h: Harness, request: ActionRequested, result: AttemptResult): Promise<ActionFinished> {
  const { object, status } = await storedExecution(h.kube, request.execution.name);
  const recorded = recordAttempt(status, { path: request.path, attempt: request.attempt, result, now: h.clock.now() });
  if (!recorded.recorded) throw new Error(`attempt ${request.attempt} of ${request.path} was not running`);
  await writeStatus(h.kube, object, recorded.status);
  const phase = findActionStatus(recorded.status, request.path)?.phase;
  return { ...request, phase: phase === 'Succeeded' || phase === 'Failed' || phase === 'Skipped' ? phase : 'Pending' };
}

export const ok: AttemptResult = { ok: true };
export const fatal = (message = 'boom'): AttemptResult => ({ ok: false, retryable: false, message });

export interface Driven {
  /** Paths in the order they were requested, one batch per reply. */
  batches: string[][];
  replies: Reply[];
}

/**
 * Plays run-action and the broker until nothing is left: each action.requested is claimed and reported
 * with `outcome(path)`, and the action.finished goes back to `onActionFinished`. The clock moves one
 * second per attempt, so completion times tell the order in which actions finished.
 */
export async function driveToEnd(
  h: Harness,
  core: { reconcile(id: { name: string; namespace: string }): Promise<Outcome>; onActionFinished(data: ActionFinished): Promise<Outcome> },
  name: string,
  outcome: (path: string) => AttemptResult = () => ok,
): Promise<Driven> {
  const driven: Driven = { batches: [], replies: [] };
  let pending: Outcome = await core.reconcile(id(name));
  for (let round = 0; round < 100 && pending.length > 0; round++) {
    driven.replies.push(...pending);
    const requests = requestsIn(pending);
    if (requests.length > 0) driven.batches.push(requests.map((request) => request.path));
    const next: Reply[] = [];
    for (const request of requests) {
      await claim(h, request);
      h.clock.advance(1);
      next.push(...(await core.onActionFinished(await report(h, request, outcome(request.path)))));
    }
    pending = next;
  }
  return driven;
}
