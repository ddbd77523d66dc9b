/**
 * What the six entry files share: `init` builds the dependencies once (Kube client, pino root, clock),
 * `handle` turns an incoming CloudEvent into a wake-up (shared/envelope.ts), hands it to the core
 * through the function's route, and turns the core's Outcome into the HTTP answer faas-js-runtime sends:
 * no events → 204, one → that CloudEvent as the reply, several → the first as the reply and the others
 * POSTed to the broker. Every failure leaves as an error with a deliberate numeric `code` (one
 * error boundary: docs/contributing.md); faas-js-runtime turns it into the HTTP status.
 */
import { CloudEvent } from 'cloudevents';
import { parseEnvelope, type WakeUp } from './envelope.js';
import { toHandlerError, type HandlerError } from '../errors.js';
import { EVENT_SOURCE, isValidExtensionName } from '../events.js';
import type { Clock, CoreDeps, Logger, Outcome, Reply } from '../function-deps.js';
import { DEFAULT_RECONCILE_INTERVAL_MS } from '../function-deps.js';
import { parseDuration } from '../api/duration.js';
import { ServiceAccountNameSchema } from '../api/common.js';
import { createKube, loadKubeConfig } from '../kube/client.js';
import type { Kube } from '../kube/types.js';
import { createLogger } from './log.js';
import { exposeOnRuntimeRegistry, runtimePromClient } from './metrics.js';
import { postToBroker, sinkFrom } from './broker.js';

export interface FunctionDefinition<Core> {
  /** The function's name: `validate-workflow`, `run-action`… (log field `function`, reply source). */
  name: string;
  /** Builds the core from the common dependencies and the environment (run-action adds its own). */
  create(deps: CoreDeps, env: NodeJS.ProcessEnv): Core;
  /** The core call for this wake-up, or undefined when it is not for this function (204). */
  route(core: Core, wake: WakeUp): Promise<Outcome> | undefined;
}

/** Replacements for what `init` would build, for tests. */
export interface WiringOverrides {
  env?: NodeJS.ProcessEnv;
  kube?: Kube;
  log?: Logger;
  clock?: Clock;
  /** Used to POST extra replies to the broker. */
  fetch?: typeof globalThis.fetch;
}

export type ReplyEvent = CloudEvent<Record<string, unknown>>;

/** What an entry file exports to faas-js-runtime (plain functions: the runtime calls them unbound). */
export interface FunctionModule {
  init: () => void;
  handle: (context: unknown, event?: unknown) => Promise<ReplyEvent | undefined>;
}

interface Runtime<Core> {
  core: Core;
  log: Logger;
  env: NodeJS.ProcessEnv;
  fetch: typeof globalThis.fetch;
}

export const systemClock: Clock = { now: () => new Date() };
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CloudEvent context attributes an extension must not overwrite. */
const RESERVED = new Set(['id', 'source', 'specversion', 'type', 'subject', 'time', 'data', 'data_base64', 'datacontenttype', 'dataschema']);

/** The CloudEvent for one reply; extensions with names the spec forbids are dropped (and logged). */
export function toCloudEvent(reply: Reply, source: string, log: Logger): ReplyEvent {
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.extensions ?? {})) {
    if (isValidExtensionName(name) && !RESERVED.has(name)) extensions[name] = value;
    else log.error({ extension: name, type: reply.type }, 'invalid extension name dropped from a reply');
  }
  return new CloudEvent({ ...extensions, type: reply.type, source, subject: reply.subject, datacontenttype: 'application/json', data: reply.data });
}

/** The replies as CloudEvents; one the SDK refuses (an empty subject, say) is a 503 like any other failure. */
function toCloudEvents(outcome: Outcome, source: string, log: Logger): ReplyEvent[] {
  try {
    return outcome.map((reply) => toCloudEvent(reply, source, log));
  } catch (error: unknown) {
    const failure = toHandlerError(error, 'a reply is not a valid CloudEvent');
    log.error({ err: error, types: outcome.map((reply) => reply.type) }, 'event not handled');
    throw failure;
  }
}

/** A URL fit for a log line: no credentials, no query string. */
function redactedUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

function failureLevel(error: HandlerError): 'warn' | 'info' | 'error' {
  if (error.code === 400) return 'warn';
  return error.code === 409 ? 'info' : 'error';
}

function wakeLabel(wake: WakeUp): Record<string, unknown> {
  if (wake.source === 'apiserver')
    return { action: wake.action, kind: wake.object.kind, object: `${wake.object.metadata.namespace ?? ''}/${wake.object.metadata.name ?? ''}` };
  return wake.source === 'tick' ? { tick: true } : { type: wake.type };
}

function eventLogger(root: Logger, event: unknown): Logger {
  const attributes = (typeof event === 'object' && event !== null ? event : {}) as { id?: unknown; type?: unknown };
  return root.child({
    ceId: typeof attributes.id === 'string' ? attributes.id : undefined,
    ceType: typeof attributes.type === 'string' ? attributes.type : undefined,
  });
}

async function dispatch<Core>(definition: FunctionDefinition<Core>, runtime: Runtime<Core>, event: unknown, log: Logger): Promise<Outcome | undefined> {
  try {
    const wake = parseEnvelope(event);
    const pending = definition.route(runtime.core, wake);
    if (pending === undefined) {
      log.debug(wakeLabel(wake), 'event not for this function');
      return undefined;
    }
    return await pending;
  } catch (error: unknown) {
    const failure = toHandlerError(error, `${definition.name}: handling the event failed`);
    log[failureLevel(failure)]({ err: error, code: failure.code }, 'event not handled');
    throw failure;
  }
}

/** A positive Go duration from the environment, in milliseconds; unset or empty → undefined; anything else is refused at start. */
function positiveDuration(env: NodeJS.ProcessEnv, name: string, example: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new Error(`${name}: must be a positive Go duration such as ${example}, got "${text}"`);
  return ms;
}

/** RECONCILE_INTERVAL as milliseconds (default 30s). */
export const reconcileInterval = (env: NodeJS.ProcessEnv): number => positiveDuration(env, 'RECONCILE_INTERVAL', '30s or 1m') ?? DEFAULT_RECONCILE_INTERVAL_MS;

/** UNKNOWN_AFTER as milliseconds (undefined: the engine's 2 minutes). */
export const unknownAfter = (env: NodeJS.ProcessEnv): number | undefined => positiveDuration(env, 'UNKNOWN_AFTER', '2m or 30s');

/** DEFAULT_SERVICE_ACCOUNT, checked to be a ServiceAccount name (undefined: `default`). */
export function defaultServiceAccount(env: NodeJS.ProcessEnv): string | undefined {
  const text = env.DEFAULT_SERVICE_ACCOUNT?.trim();
  if (text === undefined || text === '') return undefined;
  const parsed = ServiceAccountNameSchema.safeParse(text);
  if (!parsed.success) throw new Error(`DEFAULT_SERVICE_ACCOUNT: "${text}" is not a ServiceAccount name (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

/** `init` and `handle` for one function; `overrides` replace what `init` builds (tests). */
export function defineFunction<Core>(definition: FunctionDefinition<Core>, overrides: WiringOverrides = {}): FunctionModule {
  let runtime: Runtime<Core> | undefined;
  const source = `${EVENT_SOURCE}/${definition.name}`;

  function init(): Runtime<Core> {
    if (runtime !== undefined) return runtime;
    const env = overrides.env ?? process.env;
    const log = overrides.log ?? createLogger(definition.name, { env });
    const kube = overrides.kube ?? createKube(loadKubeConfig());
    const fetch = overrides.fetch ?? globalThis.fetch;
    const emit = async (outcome: Outcome): Promise<void> => {
      if (outcome.length > 0) await postToBroker(toCloudEvents(outcome, source, log), { env, fetch, log });
    };
    const deps: CoreDeps = { kube, clock: overrides.clock ?? systemClock, log, reconcileIntervalMs: reconcileInterval(env), emit };
    const unknownAfterMs = unknownAfter(env);
    if (unknownAfterMs !== undefined) deps.unknownAfterMs = unknownAfterMs;
    const serviceAccount = defaultServiceAccount(env);
    if (serviceAccount !== undefined) deps.defaultServiceAccount = serviceAccount;
    const core = definition.create(deps, env);
    const host = runtimePromClient();
    if (host !== undefined) exposeOnRuntimeRegistry(host);
    runtime = { core, log, env, fetch };
    log.info({ sink: redactedUrl(sinkFrom(env)), metrics: host !== undefined }, 'function ready');
    return runtime;
  }

  async function handle(_context: unknown, event?: unknown): Promise<ReplyEvent | undefined> {
    const current = init();
    const log = eventLogger(current.log, event);
    const outcome = await dispatch(definition, current, event, log);
    if (outcome === undefined || outcome.length === 0) return undefined;
    const [first, ...rest] = toCloudEvents(outcome, source, log);
    if (rest.length > 0) await postToBroker(rest, { env: current.env, fetch: current.fetch, log });
    log.debug({ replies: outcome.length, type: first?.type }, 'event handled');
    return first;
  }

  return {
    init: () => {
      init();
    },
    handle,
  };
}
