/**
 * run-action's settings, read once from the environment by the wiring. Every setting has a safe
 * default; an unreadable value is an error naming the variable (the function must not start with a
 * configuration it did not mean).
 */
import { z } from 'zod';
import { parseDuration } from '../../shared/api/index.js';

const DEFAULT_HEARTBEAT_MS = 30_000;

export const RunActionConfigSchema = z.strictObject({
  /**
   * Allow HTTP targets on link-local addresses (169.254.0.0/16, fe80::/10) and cloud metadata hosts.
   * Loopback and private (RFC 1918) addresses are always allowed.
   */
  allowPrivateTargets: z.boolean().default(false),
  /** A retry due within this many milliseconds is waited for in-process; a later one is left to the resync tick. */
  maxInlineWaitMs: z.number().int().min(0).default(10_000),
  /**
   * For this long after a request arrives, the actions its result makes due are claimed in the same
   * write as the result and run in this process at once, instead of being requested through the broker
   * (docs/adr/0013-execution-writes-at-scale.md); 0 turns that off.
   */
  maxInlineChainMs: z.number().int().min(0).default(60_000),
  /** The response body recorded in `outputs.httpResponse.body` is cut to this many characters. */
  bodyLimit: z.number().int().min(0).default(1024),
  /**
   * While an attempt runs in-process (an HTTP call may last its whole timeout, 5m by default), its
   * `lastUpdateTime` moves on this often, so the resync does not take it for lost after 2 minutes
   * (`UNKNOWN_AFTER`; a shorter one makes the beat a quarter of it).
   */
  heartbeatMs: z.number().int().min(1).default(DEFAULT_HEARTBEAT_MS),
  /**
   * While an HTTP request is in flight, its execution is read this often to see whether the attempt is
   * still wanted (cancelled, timed out, deleted: the request is aborted); one read per execution.
   */
  stopCheckMs: z.number().int().min(1).default(1000),
});
export type RunActionConfig = z.infer<typeof RunActionConfigSchema>;

export const DEFAULT_RUN_ACTION_CONFIG: RunActionConfig = RunActionConfigSchema.parse({});

/** The environment variables behind each setting. */
export const RunActionEnv = {
  allowPrivateTargets: 'ALLOW_PRIVATE_TARGETS',
  maxInlineWait: 'MAX_INLINE_WAIT',
  maxInlineChain: 'MAX_INLINE_CHAIN',
  bodyLimit: 'HTTP_BODY_LIMIT',
  /** Shared with the orchestrators (shared/runtime/wiring.ts): how long an attempt may stay silent. */
  unknownAfter: 'UNKNOWN_AFTER',
} as const;

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`${name}: "${env[name] ?? ''}" is not a boolean (true or false)`);
}

function readDuration(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`${name}: "${value}" is not a duration such as 10s or 500ms`);
  return Math.round(ms);
}

function readCount(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) throw new Error(`${name}: "${value}" is not a whole number ≥ 0`);
  return count;
}

/** Four beats within the silence `UNKNOWN_AFTER` allows, and never fewer than the default's. */
function heartbeatFor(unknownAfterMs: number | undefined): number | undefined {
  if (unknownAfterMs === undefined) return undefined;
  return Math.max(1, Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(unknownAfterMs / 4)));
}

/** The settings from `ALLOW_PRIVATE_TARGETS`, `MAX_INLINE_WAIT` and `MAX_INLINE_CHAIN` (durations), `HTTP_BODY_LIMIT` and `UNKNOWN_AFTER` (the heartbeat). */
export function runActionConfigFromEnv(env: NodeJS.ProcessEnv): RunActionConfig {
  return RunActionConfigSchema.parse({
    allowPrivateTargets: readBoolean(env, RunActionEnv.allowPrivateTargets),
    maxInlineWaitMs: readDuration(env, RunActionEnv.maxInlineWait),
    maxInlineChainMs: readDuration(env, RunActionEnv.maxInlineChain),
    bodyLimit: readCount(env, RunActionEnv.bodyLimit),
    heartbeatMs: heartbeatFor(readDuration(env, RunActionEnv.unknownAfter)),
  });
}
