/** API group, version, kinds, and the well-known labels, annotations and finalizers of the DR API. */
export const GROUP = 'dr.bkbcs.tencent.com';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const Kinds = {
  workflow: 'DRWorkflow',
  plan: 'DRPlan',
  execution: 'DRPlanExecution',
} as const;
export type Kind = (typeof Kinds)[keyof typeof Kinds];

export const Plurals = {
  DRWorkflow: 'drworkflows',
  DRPlan: 'drplans',
  DRPlanExecution: 'drplanexecutions',
} as const satisfies Record<Kind, string>;

export const Labels = {
  /** Short label for history queries: `kubectl get drpe -l drplan=<plan>`. */
  planShort: 'drplan',
  plan: `${GROUP}/plan`,
  operation: `${GROUP}/operation`,
  execution: `${GROUP}/execution`,
  action: `${GROUP}/action`,
  /** `"true"` on an execution whose end is in its plan's history: nothing is left to do for it, and the resync tick does not list it. */
  recorded: `${GROUP}/recorded`,
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const Annotations = {
  /** `"true"` on a DRPlanExecution cancels it. */
  cancel: `${GROUP}/cancel`,
  /** `cancel` on a DRPlan cancels its running execution. */
  trigger: `${GROUP}/trigger`,
  /** `"true"` on a DRPlanExecution pauses it: no new action starts; running ones finish. */
  pause: `${GROUP}/pause`,
  /** On a running DRPlanExecution, `{"<stage>/<workflowIndex>/<action>": "<reason>"}`: those actions count as done by decision. */
  skip: `${GROUP}/skip`,
} as const;

export const Finalizers = {
  execution: `${GROUP}/execution-finalizer`,
  workflowProtection: `${GROUP}/workflow-protection`,
} as const;

export const MANAGER = 'drplan';
/** The execution history kept on a plan holds at most this many records, newest first. */
export const HISTORY_LIMIT = 10;
