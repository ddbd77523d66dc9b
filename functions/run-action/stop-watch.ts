/**
 * Stops what no one wants any more. An attempt can be taken from this process while it runs — the
 * execution cancelled, the attempt timed out and retried, the execution deleted — and an HTTP request
 * may wait its whole timeout (5m by default) for an answer. While attempts of an execution run here, the
 * execution is read once per `everyMs` (one read for all of them, and none for an attempt that ends
 * sooner); each attempt no longer wanted has its signal aborted with the reason, and its executor stops
 * (an HTTP request is aborted; what it learned is still reported).
 */
import { isFinalPhase } from '../../shared/api/index.js';
import { findActionStatus } from '../../shared/engine/status-tree.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { cancelRequested, loadExecution } from '../../shared/execution/objects.js';
import type { Logger } from '../../shared/function-deps.js';
import type { AttemptIdentity } from '../../shared/job-labels.js';
import type { Kube } from '../../shared/kube/types.js';

/** The stop reason of a cancelled execution's attempts. */
export const CANCELLED_REASON = 'the execution was cancelled';

/** Why the execution takes no more work, or undefined while it may. */
function executionStop(loaded: Loaded | undefined): string | undefined {
  if (loaded === undefined) return 'the execution was deleted';
  if (cancelRequested(loaded.object)) return CANCELLED_REASON;
  if (loaded.object.metadata.deletionTimestamp !== undefined) return 'the execution is being deleted';
  const phase = loaded.execution.status?.phase;
  return isFinalPhase(phase) ? `the execution ended ${phase}` : undefined;
}

/** Why a running attempt is no longer wanted, or undefined while it still is. */
export function stopReason(loaded: Loaded | undefined, id: Pick<AttemptIdentity, 'path' | 'attempt'>): string | undefined {
  const stopped = executionStop(loaded);
  if (stopped !== undefined || loaded === undefined) return stopped;
  const action = findActionStatus(loaded.execution.status ?? {}, id.path);
  if (action === undefined) return `attempt ${id.attempt} is not in the execution any more`;
  if (action.attempt !== id.attempt) return `attempt ${id.attempt} was superseded (attempt ${action.attempt ?? 'none'} is current)`;
  if (action.phase !== 'Running' && action.phase !== 'Unknown')
    return `attempt ${id.attempt} is ${action.phase} (its timeout passed, or it was recorded elsewhere)`;
  return undefined;
}

interface Watched {
  id: AttemptIdentity;
  controller: AbortController;
}

interface Execution {
  watched: Set<Watched>;
  timer: NodeJS.Timeout;
  /** A read in flight: the next tick does not start another. */
  reading: boolean;
}

export interface Watch {
  /** Aborted, with the reason, when the attempt is no longer wanted. */
  signal: AbortSignal;
  /** The attempt has ended here: stop watching it. */
  end(): void;
}

export class StopWatch {
  private readonly executions = new Map<string, Execution>();
  private readonly kube: Kube;
  private readonly everyMs: number;
  private readonly log: Logger;

  /** `kube` is run-action's own identity (it reads the execution); `everyMs` how often a watched execution is read. */
  constructor(kube: Kube, everyMs: number, log: Logger) {
    this.kube = kube;
    this.everyMs = everyMs;
    this.log = log;
  }

  /** Watches one running attempt until `end()`. */
  watch(id: AttemptIdentity): Watch {
    const key = `${id.execution.namespace}/${id.execution.name}`;
    const watched: Watched = { id, controller: new AbortController() };
    let execution = this.executions.get(key);
    if (execution === undefined) {
      const timer = setInterval(() => {
        void this.check(key);
      }, this.everyMs);
      timer.unref();
      execution = { watched: new Set(), timer, reading: false };
      this.executions.set(key, execution);
    }
    execution.watched.add(watched);
    return {
      signal: watched.controller.signal,
      end: () => {
        this.forget(key, watched);
      },
    };
  }

  private forget(key: string, watched: Watched): void {
    const execution = this.executions.get(key);
    if (execution === undefined) return;
    execution.watched.delete(watched);
    if (execution.watched.size > 0) return;
    clearInterval(execution.timer);
    this.executions.delete(key);
  }

  private async check(key: string): Promise<void> {
    const execution = this.executions.get(key);
    const first = execution?.watched.values().next().value;
    if (execution === undefined || first === undefined || execution.reading) return;
    execution.reading = true;
    try {
      const loaded = await loadExecution(this.kube, first.id.execution);
      for (const watched of execution.watched) this.stopIfUnwanted(watched, loaded);
    } catch (error: unknown) {
      // an unreadable execution stops nothing: the attempt goes on, and its own timeout still holds
      this.log.warn({ err: error, execution: key }, 'could not read the execution to see whether its running attempts are still wanted');
    } finally {
      execution.reading = false;
    }
  }

  private stopIfUnwanted(watched: Watched, loaded: Loaded | undefined): void {
    if (watched.controller.signal.aborted) return;
    if (loaded !== undefined && loaded.object.metadata.uid !== undefined && loaded.object.metadata.uid !== watched.id.execution.uid) {
      watched.controller.abort('the execution was deleted (one of the same name replaced it)');
      return;
    }
    const reason = stopReason(loaded, watched.id);
    if (reason === undefined) return;
    this.log.info({ execution: watched.id.execution.name, path: watched.id.path, attempt: watched.id.attempt, reason }, 'stopping a running attempt');
    watched.controller.abort(reason);
  }
}
