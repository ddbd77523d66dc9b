/**
 * Live progress of an execution: each version of the DRPlanExecution seen by the watch is flattened
 * into its execution, stages, workflows and actions, and a line is printed for every one whose phase
 * (or, for an action, attempt) changed since the last version. When each part started and finished is
 * noted as seen, with millisecond precision (the status itself keeps seconds).
 */
import { DRPlanExecutionStatusSchema, type ActionStatus, type DRPlanExecutionStatus } from '../../shared/api/index.js';
import { actionPath, workflowPath } from '../../shared/engine/action-path.js';
import type { KubeObject } from '../../shared/kube/types.js';

export const Levels = { execution: 0, stage: 1, workflow: 2, action: 3 } as const;
export type Level = keyof typeof Levels;

/** One part of the status tree as seen in one version. */
export interface Part {
  level: Level;
  /** `''` for the execution, else the stage name, the workflow path or the action path. */
  path: string;
  label: string;
  phase: string;
  attempt?: number | undefined;
  detail?: string | undefined;
  /** A version of this part worth a line (Pending that nothing happened to yet is not). */
  quiet: boolean;
}

export interface Observed {
  startMs?: number | undefined;
  endMs?: number | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Skipped', 'Cancelled']);

function retryDetail(action: ActionStatus): string {
  const at = action.nextAttemptAt === undefined ? '' : ` at ${action.nextAttemptAt.slice(11, 19)}`;
  return `retry ${action.retryCount ?? 0}: attempt ${action.attempt ?? 0}${at} after: ${action.message ?? 'a failure'}`;
}

const MESSAGE_PHASES: ReadonlySet<string> = new Set(['Failed', 'Skipped', 'Unknown']);

function actionDetail(action: ActionStatus): string | undefined {
  const attempt = action.attempt ?? 1;
  if (action.phase === 'Running') return `attempt ${attempt}`;
  if (action.phase === 'Pending') return (action.retryCount ?? 0) > 0 ? retryDetail(action) : undefined;
  if (MESSAGE_PHASES.has(action.phase)) return action.message;
  return attempt > 1 ? `after ${attempt} attempts` : undefined;
}

function actionPart(stage: string, index: number, action: ActionStatus): Part {
  const quiet = action.phase === 'Pending' && (action.retryCount ?? 0) === 0;
  const path = actionPath(stage, index, action.name);
  return { level: 'action', path, label: path, phase: action.phase, attempt: action.attempt, detail: actionDetail(action), quiet };
}

/** The execution and every stage, workflow and action of one version of its status. */
export function partsOf(name: string, status: DRPlanExecutionStatus): Part[] {
  const parts: Part[] = [
    {
      level: 'execution',
      path: '',
      label: name,
      phase: status.phase ?? 'Pending',
      detail: status.phase === 'Failed' ? status.message : undefined,
      quiet: status.phase === undefined,
    },
  ];
  for (const stage of status.stageStatuses ?? []) {
    parts.push({
      level: 'stage',
      path: stage.name,
      label: stage.name,
      phase: stage.phase,
      detail: stage.phase === 'Failed' ? stage.message : undefined,
      quiet: stage.phase === 'Pending',
    });
    (stage.workflowExecutions ?? []).forEach((workflow, index) => {
      parts.push({
        level: 'workflow',
        path: workflowPath(stage.name, index),
        label: `${workflow.workflowRef.name} (${workflowPath(stage.name, index)})`,
        phase: workflow.phase,
        quiet: workflow.phase === 'Pending',
      });
      for (const action of workflow.actionStatuses ?? []) parts.push(actionPart(stage.name, index, action));
    });
  }
  return parts;
}

/** The status of a watched execution, or undefined while it has none (or one this version cannot read). */
export function statusOf(object: KubeObject): DRPlanExecutionStatus | undefined {
  const parsed = DRPlanExecutionStatusSchema.safeParse(object.status ?? {});
  return parsed.success ? parsed.data : undefined;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`.padStart(7);

export class ProgressTracker {
  private readonly signatures = new Map<string, string>();
  private readonly observed = new Map<string, Observed>();
  private readonly name: string;
  private readonly now: () => number;
  private readonly origin: number;

  constructor(name: string, now: () => number, origin: number) {
    this.name = name;
    this.now = now;
    this.origin = origin;
  }

  /** The lines for what changed in this version of the execution. */
  observe(object: KubeObject): string[] {
    const status = statusOf(object);
    if (status === undefined) return [];
    const at = this.now();
    const lines: string[] = [];
    for (const part of partsOf(this.name, status)) {
      const line = this.note(part, at);
      if (line !== undefined) lines.push(line);
    }
    return lines;
  }

  /** When a part was first seen started, and first seen finished (milliseconds since the epoch). */
  timing(level: Level, path: string): Observed {
    return { ...this.observed.get(`${level}:${path}`) };
  }

  private note(part: Part, at: number): string | undefined {
    const key = `${part.level}:${part.path}`;
    const signature = `${part.phase}|${part.attempt ?? ''}|${part.detail ?? ''}`;
    if (this.signatures.get(key) === signature) return undefined;
    this.signatures.set(key, signature);
    this.stamp(key, part, at);
    if (part.quiet) return undefined;
    const indent = '  '.repeat(Levels[part.level]);
    const detail = part.detail === undefined || part.detail === '' ? '' : ` (${part.detail})`;
    return `${seconds(at - this.origin)}  ${indent}${part.level} ${part.label}: ${part.phase}${detail}`;
  }

  private stamp(key: string, part: Part, at: number): void {
    const observed = this.observed.get(key) ?? {};
    if (!part.quiet) observed.startMs ??= at;
    if (TERMINAL.has(part.phase)) observed.endMs ??= at;
    this.observed.set(key, observed);
  }
}
