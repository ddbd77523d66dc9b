/**
 * The CLI tests' cluster: the local API server over a temporary state folder, the CLI run in-process
 * against its kubeconfig (stdout and stderr captured, optionally posing as a terminal), and the DR
 * objects and status writes with which a test plays the functions' part.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/io.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../local/apiserver/index.js';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { createKube } from '../../shared/kube/client.js';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Pose as a terminal of this size (isTTY, columns, rows). */
  tty?: { columns: number; rows: number };
  /** Called with each piece of stdout as it is written. */
  onStdout?: (text: string) => void;
}

/** Runs `drplan <args>` in-process. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const write = (text: string): boolean => {
    stdout += text;
    options.onStdout?.(text);
    return true;
  };
  const io: Io = {
    stdout: options.tty === undefined ? { write } : { write, isTTY: true, ...options.tty },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: tmpdir(),
  } as Io;
  const code = await main([...args], io);
  return { code, stdout, stderr };
}

export interface TestCluster {
  server: ApiServer;
  kube: Kube;
  kubeconfig: string;
  /** `drplan <args> --kubeconfig <this cluster's>`. */
  cli(args: readonly string[], options?: RunOptions): Promise<Run>;
  dispose(): Promise<void>;
}

export async function startCluster(options: Partial<ApiServerOptions> = {}): Promise<TestCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drplan-cli-'));
  const server = await startApiServer({ jobController: false, ...options, stateDir, port: 0 });
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return {
    server,
    kube: createKube(kc),
    kubeconfig: server.kubeconfigPath,
    cli: (args, options) => runCli([...args, '--kubeconfig', server.kubeconfigPath], options),
    dispose: async () => {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Counts the watch requests that in-process servers receive from now on (`?watch=true`, or `watch=1`),
 * for tests that must know that a watch was started again; `stop()` ends the count.
 */
export function countWatchRequests(): { count(): number; stop(): void } {
  let count = 0;
  const onRequest = (message: unknown): void => {
    const url = (message as { request?: { url?: string } }).request?.url ?? '';
    if (/[?&]watch=(true|1)(&|$)/.test(url)) count++;
  };
  subscribe('http.server.request.start', onRequest);
  return {
    count: () => count,
    stop: () => {
      unsubscribe('http.server.request.start', onRequest);
    },
  };
}

/** Polls `check` until it returns something (tests only: the CLI itself watches). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---- Objects -------------------------------------------------------------------------------------

export const key = (kind: string, name: string, namespace = 'default'): ObjectKey => ({ apiVersion: API_VERSION, kind, name, namespace });

export function workflow(name: string, actions: readonly string[] = ['call']): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.workflow,
    metadata: { name, namespace: 'default' },
    spec: {
      parameters: [
        { name: 'target', type: 'string', default: 'http://127.0.0.1:1' },
        { name: 'retries', type: 'number', default: '1' },
      ],
      actions: actions.map((action) => ({ name: action, type: 'HTTP', http: { url: `{{ .params.target }}/${action}`, method: 'POST' } })),
    },
  };
}

/**
 * A plan with levels and parallel work: `check` → (`drain`, `promote`: independent, same level) →
 * `switch` (two workflows in parallel) → `verify`.
 */
export function failoverPlan(name = 'failover'): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.plan,
    metadata: { name, namespace: 'default' },
    spec: {
      description: 'Fail the shop over',
      globalParams: [{ name: 'target', value: 'http://127.0.0.1:2' }],
      stages: [
        { name: 'check', workflows: [{ workflowRef: { name: 'health' } }] },
        { name: 'drain', dependsOn: ['check'], workflows: [{ workflowRef: { name: 'drain' } }] },
        { name: 'promote', dependsOn: ['check'], workflows: [{ workflowRef: { name: 'database' }, params: [{ name: 'target', value: 'http://db' }] }] },
        {
          name: 'switch',
          dependsOn: ['drain', 'promote'],
          parallel: true,
          workflows: [{ workflowRef: { name: 'config' } }, { workflowRef: { name: 'traffic' } }],
        },
        { name: 'verify', dependsOn: ['switch'], workflows: [{ workflowRef: { name: 'health' } }] },
      ],
    },
  };
}

export const FAILOVER_WORKFLOWS: readonly KubeObject[] = [
  workflow('health', ['probe']),
  workflow('drain', ['maintenance', 'scale-down']),
  workflow('database', ['fence', 'promote']),
  workflow('config'),
  workflow('traffic', ['switch']),
];

/** Creates the failover plan and its workflows, and marks the plan Ready as validate-plan would. */
export async function createFailover(kube: Kube, name = 'failover'): Promise<void> {
  for (const object of FAILOVER_WORKFLOWS) if ((await kube.get(key(Kinds.workflow, object.metadata.name ?? ''))) === undefined) await kube.create(object);
  await kube.create(failoverPlan(name));
  await setPlanPhase(kube, name, 'Ready', 'the plan is valid');
}

export async function setPlanPhase(kube: Kube, name: string, phase: 'Ready' | 'Invalid', message: string): Promise<void> {
  const plan = await kube.get(key(Kinds.plan, name));
  const condition = {
    type: 'Ready',
    status: phase === 'Ready' ? 'True' : 'False',
    reason: phase === 'Ready' ? 'Valid' : 'Invalid',
    message,
    lastTransitionTime: new Date().toISOString(),
  };
  await kube.mergePatchStatus(key(Kinds.plan, name), { status: { phase, observedGeneration: plan?.metadata.generation, conditions: [condition] } });
}

/** What plan-stages does when an execution starts: the plan's lock. */
export async function lockPlan(kube: Kube, plan: string, execution: string): Promise<void> {
  await kube.mergePatchStatus(key(Kinds.plan, plan), { status: { currentExecution: { name: execution, namespace: 'default' } } });
}

export type Phases = Readonly<Record<string, string>>;

/**
 * A status tree for the failover plan: every action's phase from `phases` (by `stage/workflowIndex/
 * action`, default Pending); stages and workflows take the phase of their actions.
 */
export function failoverStatus(phase: string, phases: Phases, message?: string): Record<string, unknown> {
  const plan = failoverPlan().spec as {
    stages: Array<{ name: string; parallel?: boolean; dependsOn?: string[]; workflows: Array<{ workflowRef: { name: string } }> }>;
  };
  const byName = new Map(FAILOVER_WORKFLOWS.map((object) => [object.metadata.name ?? '', (object.spec as { actions: Array<{ name: string }> }).actions]));
  const start = '2025-11-26T10:00:00Z';
  const stageStatuses = plan.stages.map((stage) => {
    const workflowExecutions = stage.workflows.map((ref, index) => {
      const actionStatuses = (byName.get(ref.workflowRef.name) ?? []).map((action) => {
        const actionPhase = phases[`${stage.name}/${index}/${action.name}`] ?? 'Pending';
        return {
          name: action.name,
          phase: actionPhase,
          ...(actionPhase === 'Pending' ? {} : { attempt: 1, startTime: start }),
          ...(['Succeeded', 'Failed'].includes(actionPhase) ? { completionTime: '2025-11-26T10:00:03Z' } : {}),
        };
      });
      return {
        workflowRef: { name: ref.workflowRef.name, namespace: 'default' },
        phase: summarise(actionStatuses.map((action) => action.phase)),
        actionStatuses,
      };
    });
    return {
      name: stage.name,
      phase: summarise(workflowExecutions.map((workflow) => workflow.phase)),
      parallel: stage.parallel ?? false,
      ...(stage.dependsOn === undefined ? {} : { dependsOn: stage.dependsOn }),
      workflowExecutions,
    };
  });
  return {
    phase,
    startTime: start,
    ...(message === undefined ? {} : { message }),
    ...(['Succeeded', 'Failed', 'Cancelled'].includes(phase) ? { completionTime: '2025-11-26T10:01:05Z' } : {}),
    stageStatuses,
  };
}

function summarise(phases: readonly string[]): string {
  if (phases.includes('Failed')) return 'Failed';
  if (phases.includes('Running')) return 'Running';
  if (phases.length > 0 && phases.every((phase) => phase === 'Succeeded')) return 'Succeeded';
  return phases.some((phase) => phase === 'Succeeded') ? 'Running' : 'Pending';
}

export async function setExecutionStatus(kube: Kube, name: string, status: Record<string, unknown>): Promise<void> {
  await kube.mergePatchStatus(key(Kinds.execution, name), { status });
}

/** The executions of a plan, by label, as the CLI labels them. */
export async function executionsOf(kube: Kube, plan: string): Promise<KubeObject[]> {
  return kube.list(API_VERSION, Kinds.execution, { namespace: 'default', labelSelector: `drplan=${plan}` });
}

/** Waits for the one execution of `plan` the CLI creates, and returns its name. */
export async function createdExecution(kube: Kube, plan: string, operation = 'Execute'): Promise<string> {
  return eventually(async () => {
    const found = (await executionsOf(kube, plan)).find((object) => (object.spec as { operationType?: string }).operationType === operation);
    return found?.metadata.name;
  }, `the ${operation} execution of ${plan}`);
}

/** An execution created directly (as kubectl apply would), with the labels the functions add. */
export async function createExecution(kube: Kube, name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  const plan = typeof spec.planRef === 'string' ? spec.planRef : '';
  return kube.create({ apiVersion: API_VERSION, kind: Kinds.execution, metadata: { name, namespace: 'default', labels: { drplan: plan } }, spec });
}
