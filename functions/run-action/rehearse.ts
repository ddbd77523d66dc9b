/**
 * The object changes of a dry run: each is sent to the API server as a server-side dry run
 * (`dryRun=All`, as the plan's ServiceAccount) — schema, admission and RBAC decide as they would — and
 * the action says what would have happened: created, deleted, or the fields a Patch or Apply would
 * change (`data.flag: "false" → "true"`; a Secret's values are never shown). Nothing is stored, and no
 * prior state is recorded.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { MANAGER } from '../../shared/api/index.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';
import { SERVER_METADATA } from '../../shared/engine/rollback.js';
import type { ExecutorContext } from './executor.js';
import { fatal } from './executor.js';
import { apiFailure } from './kube-errors.js';
import { describeKey, keyOf, patchBody } from './manifest.js';
import type { ObjectChange } from './object-ops.js';

/** Fields the server owns (the rollback's list) and the status: not part of what a change would do. */
const ignored = (path: string): boolean => path === 'status' || (path.startsWith('metadata.') && SERVER_METADATA.has(path.slice('metadata.'.length)));
const MAX_CHANGES = 10;
const MAX_VALUE = 60;

const shown = (value: unknown): string => {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
};

/** Our own marks (which execution and action made the change): every change of ours carries them. */
const OWN_MARK = /^metadata\.(labels|annotations)\.(dr\.bkbcs\.tencent\.com\/|app\.kubernetes\.io\/managed-by$)/;

const bothMaps = (before: unknown, after: unknown): boolean => (isRecord(before) || before === undefined) && (isRecord(after) || after === undefined);

/** The leaf paths where `before` and `after` differ, with both values (a Secret's values hidden, our own marks left out). */
export function differences(before: unknown, after: unknown, secret: boolean, path = ''): string[] {
  if (ignored(path) || OWN_MARK.test(path) || isDeepStrictEqual(before, after)) return [];
  if (bothMaps(before, after)) {
    const from = isRecord(before) ? before : {};
    const to = isRecord(after) ? after : {};
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => differences(from[key], to[key], secret, path === '' ? key : `${path}.${key}`));
  }
  const hidden = secret && /^(data|stringData)\./.test(path);
  return [hidden ? `${path}: (changed)` : `${path}: ${shown(before)} → ${shown(after)}`];
}

function changeList(before: KubeObject, after: KubeObject): string {
  const found = differences(before, after, after.apiVersion === 'v1' && after.kind === 'Secret');
  if (found.length === 0) return 'would change nothing';
  const more = found.length > MAX_CHANGES ? `; and ${found.length - MAX_CHANGES} more` : '';
  return `would change ${found.slice(0, MAX_CHANGES).join('; ')}${more}`;
}

async function tried<T>(ctx: ExecutorContext, what: string, write: () => Promise<T>): Promise<T | AttemptResult> {
  try {
    return await write();
  } catch (error: unknown) {
    return apiFailure(error, `dry run: ${what} as ${ctx.actingAs}`);
  }
}

const isResult = (value: unknown): value is AttemptResult => isRecord(value) && typeof value.ok === 'boolean';

type Rehearsal = (ctx: ExecutorContext, change: ObjectChange, key: ObjectKey, current: KubeObject | undefined) => Promise<AttemptResult>;

const REHEARSALS: Record<ObjectChange['operation'], Rehearsal> = {
  async Create(ctx, change, key) {
    const created = await tried(ctx, `creating ${describeKey(key)}`, () => ctx.kube.create(change.object));
    return isResult(created) ? created : { ok: true, message: `would create ${describeKey(key)}` };
  },
  async Apply(ctx, change, key, current) {
    const applied = await tried(ctx, `applying ${describeKey(key)}`, () => ctx.kube.apply(change.object, MANAGER));
    if (isResult(applied)) return applied;
    return { ok: true, message: current === undefined ? `would create ${describeKey(key)}` : `${describeKey(key)}: ${changeList(current, applied)}` };
  },
  async Patch(ctx, change, key, current) {
    if (current === undefined) return fatal(`${describeKey(key)} not found; a Patch needs an existing object`);
    const patched = await tried(ctx, `patching ${describeKey(key)}`, () => ctx.kube.mergePatch(key, patchBody(change.object)));
    return isResult(patched) ? patched : { ok: true, message: `${describeKey(key)}: ${changeList(current, patched)}` };
  },
  async Delete(ctx, _change, key, current) {
    if (current === undefined) return { ok: true, message: `${describeKey(key)} is already gone` };
    const removed = await tried(ctx, `deleting ${describeKey(key)}`, () => ctx.kube.remove(key, { propagationPolicy: 'Background' }));
    return isResult(removed) ? removed : { ok: true, message: `would delete ${describeKey(key)}` };
  },
};

/** What one change would do, tried as a server-side dry run; a refusal is the action's failure. */
export async function rehearseChange(ctx: ExecutorContext, change: ObjectChange): Promise<AttemptResult> {
  const key: ObjectKey = keyOf(change.object);
  const current = await tried(ctx, `reading ${describeKey(key)}`, () => ctx.kube.get(key));
  if (isResult(current)) return current;
  return REHEARSALS[change.operation](ctx, change, key, current);
}

/** Every change of the action, in order, stopping at the first that would fail; one message for all. */
export async function rehearseChanges(ctx: ExecutorContext, list: readonly ObjectChange[]): Promise<AttemptResult> {
  const said: string[] = [];
  for (const change of list) {
    const result = await rehearseChange(ctx, change);
    if (!result.ok) return { ...result, retryable: false, message: `dry run: ${result.message}` };
    if (result.message !== undefined) said.push(result.message);
  }
  return { ok: true, message: `dry run: ${said.join('; ')} (as ${ctx.actingAs}; nothing was changed)` };
}
