/**
 * Which run-action process holds a running attempt: `<instance>/<boot>`, the pod's name (HOSTNAME; the
 * local function host gives each replica its own) and a random id of this start of the process. A pod
 * whose container restarted has the same instance and a new boot, so the attempts its earlier boot
 * holds cannot be running any more: that process is gone (ADR 13, recovery).
 */
import { randomUUID } from 'node:crypto';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import { withActionCopy } from '../../shared/engine/status-tree.js';

export interface Holder {
  instance: string;
  boot: string;
}

export const holderId = (holder: Holder): string => `${holder.instance}/${holder.boot}`;

/** This process's identity, or undefined when HOSTNAME does not say which pod it is. */
export function holderFromEnv(env: NodeJS.ProcessEnv, boot: string = randomUUID().slice(0, 8)): Holder | undefined {
  const instance = env.HOSTNAME?.trim();
  return instance === undefined || instance === '' || instance.includes('/') ? undefined : { instance, boot };
}

/** Whether `recorded` names an earlier boot of this process's instance. */
export function isEarlierBoot(recorded: string | undefined, me: Holder): boolean {
  if (recorded === undefined) return false;
  const slash = recorded.lastIndexOf('/');
  return slash > 0 && recorded.slice(0, slash) === me.instance && recorded.slice(slash + 1) !== me.boot;
}

/** `status` with the action at `path` held by `holder` (none: released). Unchanged when there is no such action. */
export function withHolder(status: DRPlanExecutionStatus, path: string, holder: Holder | undefined): DRPlanExecutionStatus {
  const current = holder === undefined ? undefined : holderId(holder);
  const copy = withActionCopy(status, path);
  if (copy === undefined || copy.action.holder === current) return status;
  if (current === undefined) delete copy.action.holder;
  else copy.action.holder = current;
  return copy.next;
}
