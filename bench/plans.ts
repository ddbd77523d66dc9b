/**
 * The objects the scenarios run: workflows of N HTTP GETs against the demo target, plans of stages
 * (each a set of workflow references, chained by `dependsOn`), and Execute executions.
 */
import { API_VERSION, Kinds } from '../shared/api/index.js';
import type { KubeObject } from '../shared/kube/types.js';

export const NAMESPACE = 'default';

/** `timeout` is each action's (a Kubernetes-style duration, default 10s, as the examples' HTTP actions). */
export function httpWorkflow(name: string, actions: number, url: string, timeout = '10s'): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.workflow,
    metadata: { name, namespace: NAMESPACE },
    spec: {
      actions: Array.from({ length: actions }, (_, index) => ({
        name: `call-${index + 1}`,
        type: 'HTTP',
        timeout,
        http: { url, method: 'GET', successCodes: [200] },
      })),
    },
  };
}

export interface StageShape {
  /** Workflow names, run in parallel within the stage. */
  workflows: readonly string[];
}

/** A plan whose stages run one after another (each depends on the previous). */
export function chainPlan(name: string, stages: readonly StageShape[]): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.plan,
    metadata: { name, namespace: NAMESPACE },
    spec: {
      failurePolicy: 'Stop',
      stages: stages.map((stage, index) => ({
        name: `stage-${index + 1}`,
        parallel: true,
        ...(index === 0 ? {} : { dependsOn: [`stage-${index}`] }),
        workflows: stage.workflows.map((workflow) => ({ workflowRef: { name: workflow } })),
      })),
    },
  };
}

export function execution(name: string, plan: string): KubeObject {
  return { apiVersion: API_VERSION, kind: Kinds.execution, metadata: { name, namespace: NAMESPACE }, spec: { planRef: plan, operationType: 'Execute' } };
}
