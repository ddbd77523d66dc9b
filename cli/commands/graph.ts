/**
 * `drplan graph <plan>|<execution> [--format mermaid|dot|svg|text]`: the stage graph — stages in levels
 * by `dependsOn`, each with its workflows (parallel or in sequence). For an execution every node is
 * coloured by its phase. svg is laid out and written here: no browser and no Graphviz needed.
 */
import { Kinds } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, kubeCommand, last, type CommandContext, type Connection } from '../kube.js';
import { executionView } from '../render/execution-view.js';
import { executionGraph, pendingGraph, planGraph, type StageGraph } from '../render/graph-model.js';
import { renderSvg } from '../render/graph-svg.js';
import { renderDot, renderMermaid, renderText } from '../render/graph-text.js';

const USAGE = `Usage: drplan graph <plan>|<execution> [--format text|mermaid|dot|svg] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Draws the stage graph of a DRPlan, or of a DRPlanExecution coloured by phase: stages are placed in
levels by dependsOn (stages of one level run at the same time), each with its workflows — side by
side when the stage is parallel, chained when they run in sequence.

The name is looked up as a DRPlan first, then as a DRPlanExecution; prefix it to choose:
plan/<name> or execution/<name> (also drplan/, drpe/, drplanexecution/).

  --format FMT       text (default), mermaid (paste into Markdown), dot (Graphviz: dot -Tpng),
                     svg (a picture to open in a browser: drplan graph p --format svg > p.svg)
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

const RENDERERS: Readonly<Record<string, (graph: StageGraph) => string>> = {
  text: renderText,
  mermaid: renderMermaid,
  dot: renderDot,
  svg: renderSvg,
};

const PREFIXES: Readonly<Record<string, string>> = {
  plan: Kinds.plan,
  drplan: Kinds.plan,
  execution: Kinds.execution,
  drpe: Kinds.execution,
  drplanexecution: Kinds.execution,
};

/** `plan/x` → [DRPlan, x]; a bare name → [undefined, name]. */
function target(argument: string): { kind: string | undefined; name: string } {
  const slash = argument.indexOf('/');
  if (slash < 0) return { kind: undefined, name: argument };
  const kind = PREFIXES[argument.slice(0, slash).toLowerCase()];
  if (kind === undefined) throw new CliError(`"${argument.slice(0, slash)}" is not a kind graph draws (use plan/<name> or execution/<name>)`, ExitCode.usage);
  return { kind, name: argument.slice(slash + 1) };
}

async function find(connection: Connection, argument: string): Promise<KubeObject> {
  const { kind, name } = target(argument);
  const kinds = kind === undefined ? [Kinds.plan, Kinds.execution] : [kind];
  for (const candidate of kinds) {
    const found = await connection.kube.get(drKey(candidate, name, connection.namespace));
    if (found !== undefined) return { ...found, kind: candidate };
  }
  throw new CliError(`no ${kinds.join(' or ')} named "${name}" in namespace "${connection.namespace}"`);
}

/** An execution that has not started has no stages yet: its plan's graph, all Pending. */
async function graphOf(connection: Connection, object: KubeObject): Promise<StageGraph> {
  if (object.kind === Kinds.plan) return planGraph(object);
  const view = executionView(object, new Date());
  const graph = executionGraph(view);
  if (graph.stages.length > 0 || view.operation === 'Revert') return graph;
  const plan = await connection.kube.get(drKey(Kinds.plan, view.plan, connection.namespace));
  return plan === undefined ? graph : pendingGraph(planGraph(plan), graph.title, view.phase);
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const format = last(parsed, '--format') ?? 'text';
  const render = RENDERERS[format];
  if (render === undefined) throw new CliError(`--format must be text, mermaid, dot or svg, not "${format}"`, ExitCode.usage);
  const connection = await connect();
  const object = await find(connection, parsed.positionals[0] ?? '');
  io.stdout.write(render(await graphOf(connection, object)));
  return ExitCode.ok;
}

export const graph = kubeCommand({
  name: 'graph',
  summary: 'draw the stage graph of a plan or an execution (text, mermaid, dot, svg)',
  usage: USAGE,
  flags: { values: ['--format'] },
  positionals: [1, 1],
  run,
});
