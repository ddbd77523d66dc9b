/**
 * Helpers for the validate-workflow and validate-plan core tests: a clock that stands still until told,
 * a logger that keeps its lines, the injected deps over a FakeKube, object builders, and the seed
 * manifests as Kubernetes objects.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, Kinds, Labels } from '../../shared/api/index.js';
import type { Clock, CoreDeps, Logger } from '../../shared/function-deps.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { FakeKube } from './fake-kube.js';
import { ORIGINAL_MANIFESTS } from './fixtures.js';

export const NOW = '2026-03-01T10:00:00.000Z';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = NOW): ManualClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that records every line with its bindings merged in. */
export function collectingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (object: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...object } });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => collectingLogger(lines, { ...bindings, ...more }),
  };
}

export interface TestDeps extends CoreDeps {
  kube: FakeKube;
  clock: ManualClock;
  log: Logger & { lines: LogLine[] };
}

export function testDeps(kube = new FakeKube()): TestDeps {
  return { kube, clock: manualClock(), log: collectingLogger() };
}

type Raw = Record<string, unknown>;

export const workflowKey = (name: string, namespace = 'default'): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.workflow, name, namespace });
export const planKey = (name: string, namespace = 'default'): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.plan, name, namespace });

/** A DRWorkflow with one HTTP action; `spec` fields override. */
export function workflowObject(name: string, spec: Raw = {}, metadata: Raw = {}): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.workflow,
    metadata: { name, namespace: 'default', ...metadata },
    spec: { actions: [{ name: 'probe', type: 'HTTP', http: { url: 'https://svc.example/health' } }], ...spec },
  };
}

/** A workflow reference as a plan's stage holds it. */
export const ref = (name: string, namespace?: string, params?: Raw[]): Raw => ({
  workflowRef: namespace === undefined ? { name } : { name, namespace },
  ...(params === undefined ? {} : { params }),
});

/** A DRPlan with one stage `main` running `refs`; `spec` fields override. */
export function planObject(name: string, refs: Raw[], spec: Raw = {}, metadata: Raw = {}): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.plan,
    metadata: { name, namespace: 'default', ...metadata },
    spec: { stages: [{ name: 'main', workflows: refs }], ...spec },
  };
}

export async function mustGet(kube: FakeKube, key: ObjectKey): Promise<KubeObject> {
  const found = await kube.get(key);
  if (found === undefined) throw new Error(`${key.kind} ${key.namespace ?? ''}/${key.name} not found`);
  return found;
}

/** `status` of a stored object, as a plain record (empty when absent). */
export async function statusOf(kube: FakeKube, key: ObjectKey): Promise<Raw> {
  const status = (await mustGet(kube, key)).status;
  return typeof status === 'object' && status !== null ? (status as Raw) : {};
}

export interface ReadyCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export async function readyConditionOf(kube: FakeKube, key: ObjectKey): Promise<ReadyCondition | undefined> {
  const conditions = (await statusOf(kube, key)).conditions;
  if (!Array.isArray(conditions)) return undefined;
  return (conditions as ReadyCondition[]).find((condition) => condition.type === 'Ready');
}

export const SEED_MANIFESTS = ORIGINAL_MANIFESTS;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

/** Every object of the seed manifests, with the file it came from. */
export function seedObjects(): Array<{ file: string; object: KubeObject }> {
  return yamlFiles(SEED_MANIFESTS).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((document): unknown => document.toJS() as unknown)
      .filter((value): value is KubeObject => typeof value === 'object' && value !== null && 'kind' in value)
      .map((object) => ({ file, object })),
  );
}

/** A finished execution of `plan` whose end is recorded in the plan's history (what retention may delete). */
export function finishedExecution(name: string, plan: string, completionTime: string, phase = 'Succeeded'): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.execution,
    metadata: { name, namespace: 'default', labels: { [Labels.plan]: plan, [Labels.planShort]: plan } },
    spec: { planRef: plan, operationType: 'Execute' },
    status: {
      phase,
      completionTime,
      conditions: [{ type: 'Recorded', status: 'True', reason: 'InPlanHistory', message: 'recorded', lastTransitionTime: completionTime }],
    },
  };
}

/** The plan as the finisher leaves it after recording `runs` (the newest first in its history, at most 10). */
export function withHistory(plan: KubeObject, runs: readonly string[]): KubeObject {
  const executionHistory = runs.slice(0, 10).map((name) => ({ name, namespace: 'default', operationType: 'Execute', phase: 'Succeeded' }));
  return { ...plan, status: { ...(plan.status as Record<string, unknown> | undefined), executionHistory } };
}
