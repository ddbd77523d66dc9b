/**
 * Finding what to run: the frozen definition of the action at a path, in the execution's
 * `status.resolved` (the plan's stages for an Execute, the single rollback stage for a Revert). The
 * frozen plan is read loosely and only the one action is checked against the schema, so a malformed
 * action is reported with the field at fault instead of making the whole execution unreadable.
 */
import { z } from 'zod';
import type { Action } from '../../shared/api/index.js';
import { ActionSchema } from '../../shared/api/index.js';
import { actionPath } from '../../shared/engine/action-path.js';
import { formatPath } from '../../shared/engine/problems.js';

export type Located = { ok: true; action: Action; namespace: string } | { ok: false; problem: string };

const LooseResolvedSchema = z.looseObject({
  stages: z
    .array(
      z.looseObject({
        name: z.string(),
        workflows: z.array(
          z.looseObject({
            workflowRef: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
            actions: z.array(z.unknown()),
          }),
        ),
      }),
    )
    .optional(),
});

interface Found {
  raw: unknown;
  workflow: string;
  namespace: string | undefined;
  where: string;
}

function nameOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const name: unknown = (raw as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function find(frozen: unknown, path: string): Found | undefined {
  const parsed = LooseResolvedSchema.safeParse(frozen);
  const stages = parsed.success ? (parsed.data.stages ?? []) : [];
  for (const [s, stage] of stages.entries()) {
    for (const [w, workflow] of stage.workflows.entries()) {
      const index = workflow.actions.findIndex((raw) => actionPath(stage.name, w, nameOf(raw) ?? '') === path);
      if (index >= 0) {
        const where = `status.resolved.stages[${s}].workflows[${w}].actions[${index}]`;
        return { raw: workflow.actions[index], workflow: workflow.workflowRef.name, namespace: workflow.workflowRef.namespace, where };
      }
    }
  }
  return undefined;
}

/**
 * The action at `path` in the frozen plan `frozen` and the namespace of its workflow (`fallbackNamespace`
 * when the reference has none), or a problem naming the field.
 */
export function locateAction(frozen: unknown, path: string, fallbackNamespace: string): Located {
  const found = find(frozen, path);
  if (found === undefined) return { ok: false, problem: `status.resolved: holds no definition of action ${path}` };
  const parsed = ActionSchema.safeParse(found.raw);
  if (parsed.success) return { ok: true, action: parsed.data, namespace: found.namespace ?? fallbackNamespace };
  const issue = parsed.error.issues[0];
  const field = formatPath(issue?.path ?? [], found.where);
  return { ok: false, problem: `malformed action in workflow ${found.workflow}: ${field}: ${issue?.message ?? 'invalid'}` };
}
