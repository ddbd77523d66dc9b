/**
 * Whether an action that did not succeed may still have changed something — the saga rule of a Revert
 * (rollback.ts) compensates exactly those: a request sent (answered or not), an object written or about
 * to be, an attempt cancelled while it ran, a result never recorded.
 */
import type { Action, ActionOutputs, ActionStatus } from '../api/index.js';
import { CANCELLED_WHILE_RUNNING } from './cancel.js';

/** What an action that did not succeed may have done, or undefined when it cannot have changed anything. */
export function possibleEffect(action: Action, status: ActionStatus): string | undefined {
  if (status.phase === 'Unknown' || status.phase === 'Running') return `it was ${status.phase} (no result recorded): it may have had its effect`;
  if (status.phase !== 'Failed') return undefined;
  if (status.message?.startsWith(CANCELLED_WHILE_RUNNING) === true) return 'it was cancelled while running: it may have had its effect';
  return action.type === 'HTTP' ? sentRequest(status.outputs ?? {}) : wroteObject(status.outputs ?? {});
}

/** An HTTP action's outputs say whether a request left: an answer, or a request that got none. */
function sentRequest(outputs: ActionOutputs): string | undefined {
  if (outputs.unsettledAttempt !== undefined) return 'it failed after a request that got no answer: that request may have had its effect';
  return outputs.httpResponse === undefined ? undefined : 'it failed after its request was sent (and answered): it may have had its effect';
}

/** An object action records what it is about to change before it writes (a reference, `created`, the prior state). */
function wroteObject(outputs: ActionOutputs): string | undefined {
  const written = [outputs.jobRef, outputs.resourceRef, outputs.localizationRef, outputs.subscriptionRef, outputs.createdRefs, outputs.created];
  if (written.some((value) => value !== undefined)) return 'it failed after it wrote (or was about to write) its object: that write may have happened';
  return outputs.priorState === undefined && outputs.priorStateRef === undefined
    ? undefined
    : 'it failed after it recorded the prior state of the object it changes';
}
