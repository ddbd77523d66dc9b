/**
 * The stage graph `drplan graph` draws: stages (with their workflows, parallel or in sequence) placed in
 * levels by their `dependsOn` — stages of one level can run at the same time — and the dependency
 * edges. Built from a plan's spec, or from an execution's status (then every node has its phase).
 */
import { DRPlanSpecSchema } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { ExecutionView } from './execution-view.js';

export interface GraphWorkflow {
  /** A safe identifier for mermaid and dot: `s0w1`. */
  id: string;
  label: string;
  phase?: string | undefined;
  /** `2/3` actions, for an execution. */
  progress?: string | undefined;
}

export interface GraphStage {
  /** `s0`, `s1`, … in plan order. */
  id: string;
  name: string;
  parallel: boolean;
  dependsOn: string[];
  phase?: string | undefined;
  workflows: GraphWorkflow[];
  /** 0 for stages without dependencies, else one more than the highest level they depend on. */
  level: number;
}

export interface GraphEdge {
  from: GraphStage;
  to: GraphStage;
}

export interface StageGraph {
  /** `DRPlan default/failover` or `DRPlanExecution default/failover-20261126-101500`. */
  title: string;
  /** For an execution: its phase. */
  phase?: string | undefined;
  stages: GraphStage[];
  edges: GraphEdge[];
}

interface StageInput {
  name: string;
  parallel: boolean;
  dependsOn: string[];
  phase?: string | undefined;
  workflows: Array<{ label: string; phase?: string | undefined; progress?: string | undefined }>;
}

/**
 * Levels by longest path. A cycle (an Invalid plan) cannot be levelled: its stages keep the level
 * reached when the cycle is found, so the picture still shows the loop.
 */
function levels(inputs: readonly StageInput[]): number[] {
  const index = new Map(inputs.map((stage, position) => [stage.name, position]));
  const level: number[] = inputs.map(() => 0);
  const wanted = (stage: StageInput): number => {
    const deps = stage.dependsOn.flatMap((dep) => (index.has(dep) && dep !== stage.name ? [level[index.get(dep) ?? 0] ?? 0] : []));
    return deps.length === 0 ? 0 : Math.max(...deps) + 1;
  };
  for (let round = 0; round < inputs.length; round += 1) {
    const raised = inputs.map(wanted).map((value, position) => Math.max(value, level[position] ?? 0));
    if (raised.every((value, position) => value === level[position])) break;
    raised.forEach((value, position) => (level[position] = value));
  }
  return level;
}

function buildGraph(title: string, inputs: readonly StageInput[], phase?: string): StageGraph {
  const level = levels(inputs);
  const stages: GraphStage[] = inputs.map((input, s) => ({
    id: `s${s}`,
    name: input.name,
    parallel: input.parallel,
    dependsOn: input.dependsOn,
    phase: input.phase,
    level: level[s] ?? 0,
    workflows: input.workflows.map((workflow, w) => ({ id: `s${s}w${w}`, ...workflow })),
  }));
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const edges = stages.flatMap((to) =>
    to.dependsOn.flatMap((dep): GraphEdge[] => {
      const from = byName.get(dep);
      return from === undefined || from === to ? [] : [{ from, to }];
    }),
  );
  return { title, phase, stages, edges };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** ` (site=primary)`: the values a stage gives its workflow, which tell two uses of one workflow apart. */
function paramsNote(params: ReadonlyArray<{ name: string; value?: string | undefined; default?: string | undefined }> | undefined): string {
  const pairs = (params ?? []).map(({ name, value, default: fallback }) => `${name}=${value ?? fallback ?? ''}`);
  return pairs.length === 0 ? '' : ` (${pairs.join(', ')})`;
}

/** The graph of a plan as written (an unreadable spec gives an empty graph, titled as such). */
export function planGraph(plan: KubeObject): StageGraph {
  const namespace = plan.metadata.namespace ?? 'default';
  const title = `DRPlan ${namespace}/${plan.metadata.name ?? ''}`;
  const parsed = DRPlanSpecSchema.safeParse(record(plan).spec);
  if (!parsed.success) return buildGraph(`${title} (its spec cannot be read)`, []);
  const inputs = parsed.data.stages.map((stage) => ({
    name: stage.name,
    parallel: stage.parallel,
    dependsOn: stage.dependsOn ?? [],
    workflows: stage.workflows.map(({ workflowRef, params }) => ({ label: `${workflowRef.namespace ?? namespace}/${workflowRef.name}${paramsNote(params)}` })),
  }));
  return buildGraph(title, inputs);
}

/** The graph of an execution, coloured by phase. */
export function executionGraph(view: ExecutionView): StageGraph {
  const inputs = view.stages.map((stage) => ({
    name: stage.name,
    parallel: stage.parallel,
    dependsOn: stage.dependsOn,
    phase: stage.phase,
    workflows: stage.workflows.map((workflow) => ({
      label: workflow.workflow,
      phase: workflow.phase,
      progress: `${workflow.progress.done}/${workflow.progress.total}`,
    })),
  }));
  const what = view.operation === 'Revert' ? `Revert of ${view.revertOf ?? '?'}` : `Execute of DRPlan ${view.plan}`;
  return buildGraph(`DRPlanExecution ${view.namespace}/${view.name} (${what})`, inputs, view.phase);
}

/** A plan's graph with every node Pending: an execution that has not started yet. */
export function pendingGraph(graph: StageGraph, title: string, phase: string): StageGraph {
  const stages = graph.stages.map((stage) => ({
    ...stage,
    phase: 'Pending',
    workflows: stage.workflows.map((workflow) => ({ ...workflow, phase: 'Pending' })),
  }));
  const byId = new Map(stages.map((stage) => [stage.id, stage]));
  const edges = graph.edges.flatMap(({ from, to }): GraphEdge[] => {
    const source = byId.get(from.id);
    const target = byId.get(to.id);
    return source === undefined || target === undefined ? [] : [{ from: source, to: target }];
  });
  return { title, phase, stages, edges };
}

/** Stages by level, each level in plan order. */
export function byLevel(graph: StageGraph): GraphStage[][] {
  const columns: GraphStage[][] = [];
  for (const stage of graph.stages) (columns[stage.level] ??= []).push(stage);
  return columns.filter((column) => column.length > 0);
}

/** The phases that appear in the graph, in a fixed order (for legends and class definitions). */
export function phasesIn(graph: StageGraph): string[] {
  const order = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped', 'Cancelled', 'Unknown'];
  const seen = new Set(graph.stages.flatMap((stage) => [stage.phase, ...stage.workflows.map((workflow) => workflow.phase)]));
  return order.filter((phase) => seen.has(phase));
}
