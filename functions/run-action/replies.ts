/** The CloudEvent run-action replies with when an attempt ends: action.finished. */
import type { ActionFinished } from '../../shared/event-data.js';
import { EventTypes, Extensions } from '../../shared/events.js';
import type { Reply } from '../../shared/function-deps.js';
import type { AttemptIdentity } from '../../shared/job-labels.js';

export type FinishedPhase = ActionFinished['phase'];

/** `phase` is the action's phase after the attempt: Succeeded, Failed, or Pending when a retry is scheduled. */
export function actionFinishedReply(id: AttemptIdentity, operationType: ActionFinished['operationType'], phase: FinishedPhase): Reply {
  const { name, namespace, uid } = id.execution;
  const data: ActionFinished = { execution: { name, namespace, uid }, operationType, path: id.path, attempt: id.attempt, phase };
  return {
    type: EventTypes.actionFinished,
    subject: `${namespace}/${name}`,
    data,
    extensions: {
      [Extensions.execution]: name,
      [Extensions.operationType]: operationType,
      [Extensions.partitionKey]: `${namespace}.${name}`,
    },
  };
}
