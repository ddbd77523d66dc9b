/**
 * Plain lines for a log of an execution (`status --watch` when piped, `execute --wait`): one line per
 * change of phase or attempt of the execution, a stage, a workflow or an action, in tree order.
 */
import type { ActionView, ExecutionView, StageView, WorkflowView } from './execution-view.js';
import { clock } from './format.js';

/** A node's identity and what a line says about it. */
interface Entry {
  key: string;
  /** What changes make a line: phase and attempt. */
  state: string;
  line: string;
}

const withDetail = (parts: readonly (string | undefined)[]): string => {
  const details = parts.filter((part): part is string => part !== undefined && part !== '');
  return details.length === 0 ? '' : ` (${details.join(', ')})`;
};

const messagePart = (message: string | undefined): string => (message === undefined ? '' : `: ${message}`);

function executionEntry(view: ExecutionView): Entry {
  const { done, total } = view.progress;
  const detail = withDetail([`${done}/${total} actions`, view.completionTime === undefined ? undefined : view.duration]);
  return { key: 'execution', state: view.phase, line: `execution ${view.namespace}/${view.name} ${view.phase}${detail}${messagePart(view.message)}` };
}

function stageEntry(stage: StageView): Entry {
  const detail = withDetail([stage.completionTime === undefined ? undefined : stage.duration]);
  return { key: `stage ${stage.name}`, state: stage.phase, line: `stage ${stage.name} ${stage.phase}${detail}${messagePart(stage.message)}` };
}

function workflowEntry(stage: StageView, workflow: WorkflowView): Entry {
  const { done, total } = workflow.progress;
  const detail = withDetail([`${done}/${total}`, workflow.completionTime === undefined ? undefined : workflow.duration]);
  const path = `${stage.name}/${workflow.index}`;
  return {
    key: `workflow ${path}`,
    state: workflow.phase,
    line: `workflow ${path} ${workflow.workflow} ${workflow.phase}${detail}${messagePart(workflow.message)}`,
  };
}

function actionEntry(action: ActionView): Entry {
  const detail = withDetail([
    action.attempt === undefined ? undefined : `attempt ${action.attempt}`,
    action.phase === 'Pending' && action.nextAttemptAt !== undefined ? `next attempt at ${action.nextAttemptAt}` : undefined,
    action.completionTime === undefined ? undefined : action.duration,
  ]);
  return {
    key: `action ${action.path}`,
    state: `${action.phase} ${action.attempt ?? 0}`,
    line: `action ${action.path} ${action.phase}${detail}${messagePart(action.message)}`,
  };
}

/** Every node of the view, parents before children, the execution last (it finishes last). */
function entries(view: ExecutionView): Entry[] {
  const nodes: Entry[] = [];
  for (const stage of view.stages) {
    nodes.push(stageEntry(stage));
    for (const workflow of stage.workflows) nodes.push(workflowEntry(stage, workflow), ...workflow.actions.map(actionEntry));
  }
  return [...nodes, executionEntry(view)];
}

/** A node not reached yet: a line for it says nothing. */
const UNREACHED = /^Pending( 0)?$/;

/**
 * The lines between two views of the same execution. Nodes new to the view (the first view, or the
 * tree written when the execution starts) get a line only once they have left Pending, so a log that
 * starts late still says where things are; the first view always gets the execution's line.
 */
export function transitionLines(previous: ExecutionView | undefined, next: ExecutionView, at: Date): string[] {
  const before = new Map((previous === undefined ? [] : entries(previous)).map((entry) => [entry.key, entry.state]));
  const changed = entries(next).filter((entry) => {
    const old = before.get(entry.key);
    if (previous === undefined && entry.key === 'execution') return true;
    return old === undefined ? !UNREACHED.test(entry.state) : old !== entry.state;
  });
  const first = changed.find((entry) => entry.key === 'execution');
  const ordered = previous === undefined && first !== undefined ? [first, ...changed.filter((entry) => entry !== first)] : changed;
  return ordered.map((entry) => `${clock(at)} ${entry.line}`);
}
