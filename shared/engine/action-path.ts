/**
 * The address of an action in an execution: `<stage>/<workflowIndex>/<action>`. Stage names are unique
 * in a plan and action names in a workflow; the index tells apart two uses of one workflow in a stage.
 */
export interface ActionAddress {
  stage: string;
  workflowIndex: number;
  action: string;
}

export function actionPath(stage: string, workflowIndex: number, action: string): string {
  return `${stage}/${workflowIndex}/${action}`;
}

/** The address of a workflow use in a stage: `<stage>/<workflowIndex>`. */
export function workflowPath(stage: string, workflowIndex: number): string {
  return `${stage}/${workflowIndex}`;
}

const ACTION_PATH = /^(.+?)\/(0|[1-9]\d*)\/(.+)$/;

/**
 * The parts of an action path, or `undefined` when it is not one. The first `/<digits>/` separates the
 * stage from the action, so a stage name holding such a segment cannot be told apart; lookups in a status
 * should compare whole paths (`findActionStatus` does).
 */
export function parseActionPath(path: string): ActionAddress | undefined {
  const match = ACTION_PATH.exec(path);
  if (match === null) return undefined;
  const [, stage = '', index = '', action = ''] = match;
  return { stage, workflowIndex: Number(index), action };
}
