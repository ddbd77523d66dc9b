/**
 * The Prometheus metrics of the functions, in prom-client's default registry: actions by type and
 * result, action duration, executions by phase and operation, retries. Cores (later) call the record
 * helpers; nothing here knows about HTTP.
 *
 * faas-js-runtime 3 serves `/metrics` from a registry of its own (`new Registry()` in its
 * lib/metrics.js), not from the default one, and offers no hook to add metrics to it. So
 * `exposeOnRuntimeRegistry` teaches the runtime's prom-client to append our default registry to every
 * other registry's exposition: one scrape of `/metrics` then shows the runtime's metrics and ours
 * (docs/adr/0007-bundle-format.md).
 */
import { createRequire } from 'node:module';
import { Counter, Histogram, register } from 'prom-client';

export const MetricNames = {
  actions: 'drplan_actions_total',
  actionDuration: 'drplan_action_duration_seconds',
  executions: 'drplan_executions_total',
  retries: 'drplan_action_retries_total',
  executionDuration: 'drplan_execution_duration_seconds',
} as const;

const actions = new Counter({
  name: MetricNames.actions,
  help: 'Action attempts that ended, by action type (HTTP, Job, KubernetesResource, Localization, Subscription) and result',
  labelNames: ['type', 'result'] as const,
});

const actionDuration = new Histogram({
  name: MetricNames.actionDuration,
  help: 'How long an action attempt took, from its claim to its result, by action type',
  labelNames: ['type'] as const,
  buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
});

const executions = new Counter({
  name: MetricNames.executions,
  help: 'Executions that finished, by phase (Succeeded, Failed, Cancelled) and operation (Execute, Revert, DryRun)',
  labelNames: ['phase', 'operation'] as const,
});

const executionDuration = new Histogram({
  name: MetricNames.executionDuration,
  help: 'How long an execution took, from its start to its end, by plan, operation (Execute, Revert) and phase: the measure of a recovery time objective',
  labelNames: ['plan', 'operation', 'phase'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400],
});

const retries = new Counter({
  name: MetricNames.retries,
  help: 'Action attempts scheduled again after a failure, by action type',
  labelNames: ['type'] as const,
});

/** An action attempt ended with `result` (`Succeeded`, `Failed`, `Skipped`…) after `seconds`. */
export function recordActionFinished(type: string, result: string, seconds?: number): void {
  actions.inc({ type, result });
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) actionDuration.observe({ type }, seconds);
}

export function recordActionRetry(type: string): void {
  retries.inc({ type });
}

/** The `operation` label of an execution: its operationType, or `DryRun` for a dry run (which must not count as a failover). */
export const operationLabel = (execution: { spec: { operationType: string; dryRun?: boolean | undefined } }): string =>
  execution.spec.dryRun === true ? 'DryRun' : execution.spec.operationType;

/** The plan and the start-to-end seconds of an execution that ended, for the duration histogram. */
export function measuredOf(loaded: {
  execution: { spec: { planRef: string }; status?: { startTime?: string | undefined; completionTime?: string | undefined } | undefined };
}): {
  plan: string;
  seconds: number | undefined;
} {
  const { startTime, completionTime } = loaded.execution.status ?? {};
  const ms = Date.parse(completionTime ?? '') - Date.parse(startTime ?? '');
  return { plan: loaded.execution.spec.planRef, seconds: Number.isNaN(ms) ? undefined : Math.max(0, ms) / 1000 };
}

/** An execution that ended; with its plan and duration (seconds) when they are known. */
export function recordExecutionFinished(phase: string, operation: string, measured?: { plan: string; seconds: number | undefined }): void {
  executions.inc({ phase, operation });
  if (measured?.seconds !== undefined) executionDuration.observe({ plan: measured.plan, operation, phase }, measured.seconds);
}

/** The exposition text of our metrics (what `/metrics` adds to the runtime's). */
export function metricsText(): Promise<string> {
  return register.metrics();
}

/** The part of prom-client's module shape that exposing relies on. */
interface HostRegistry {
  readonly contentType: string;
  metrics: (this: HostRegistry) => Promise<string>;
  getSingleMetric(name: string): unknown;
}
export interface PromClientModule {
  Registry: { prototype: HostRegistry };
}

const PATCHED = Symbol.for('drplan.metrics.exposed');

function isPromClientModule(candidate: unknown): candidate is PromClientModule {
  const registry = (candidate as { Registry?: { prototype?: { metrics?: unknown } } } | null | undefined)?.Registry;
  return typeof registry?.prototype?.metrics === 'function';
}

async function withOurs(host: HostRegistry, own: string): Promise<string> {
  if ((host as unknown) === register || host.contentType !== register.contentType) return own;
  const missing = register
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((name) => host.getSingleMetric(name) === undefined);
  if (missing.length === 0) return own;
  const texts = await Promise.all(missing.map((name) => register.getSingleMetricAsString(name)));
  return `${own}\n${texts.join('\n\n')}\n`;
}

/**
 * Makes every registry of the given prom-client module (other than our default one) include our
 * metrics when it is scraped. Idempotent; returns a function that undoes it (for tests).
 */
export function exposeOnRuntimeRegistry(host: PromClientModule): () => void {
  const prototype = host.Registry.prototype as HostRegistry & { [PATCHED]?: true };
  if (prototype[PATCHED] === true) return () => undefined;
  const original = prototype.metrics;
  const patched = async function (this: HostRegistry): Promise<string> {
    return withOurs(this, await original.call(this));
  };
  prototype.metrics = patched;
  prototype[PATCHED] = true;
  return () => {
    prototype.metrics = original;
    Reflect.deleteProperty(prototype, PATCHED);
  };
}

/**
 * The prom-client of the program that started this process (faas-js-runtime's CLI), or undefined when
 * the process was not started by a CommonJS program that can load it.
 */
export function runtimePromClient(): PromClientModule | undefined {
  const main = createRequire(import.meta.url).main;
  if (main === undefined) return undefined;
  try {
    const candidate: unknown = main.require('prom-client');
    return isPromClientModule(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}
