/**
 * The stage graph as text, mermaid (renders on GitHub and in most Markdown viewers) and Graphviz dot.
 * Stages are boxes holding their workflows — side by side when `parallel`, chained when sequential —
 * and `dependsOn` are the edges between stages. An execution's nodes carry their phase.
 */
import { byLevel, phasesIn, type GraphStage, type GraphWorkflow, type StageGraph } from './graph-model.js';
import { phaseMark, PHASE_COLOURS } from './format.js';

const stageCaption = (stage: GraphStage): string => `${stage.name}${stage.parallel ? ' (parallel)' : ''}`;
const workflowCaption = (workflow: GraphWorkflow): string =>
  `${workflow.label}${workflow.progress === undefined ? '' : ` ${workflow.progress}`}${workflow.phase === undefined ? '' : ` · ${workflow.phase}`}`;

// ---- text ----------------------------------------------------------------------------------------

function textStage(stage: GraphStage, level: number): string[] {
  const after = stage.dependsOn.length === 0 ? '' : `  ← ${stage.dependsOn.join(', ')}`;
  const phase = stage.phase === undefined ? '' : `  ${phaseMark(stage.phase)} ${stage.phase}`;
  const mode = stage.workflows.length > 1 ? (stage.parallel ? '  (workflows in parallel)' : '  (workflows in sequence)') : '';
  const lines = [`${String(level + 1).padStart(2)}  ${stage.name}${after}${mode}${phase}`];
  stage.workflows.forEach((workflow, index) => {
    const twig = index === stage.workflows.length - 1 ? '└' : '├';
    const state =
      workflow.phase === undefined ? '' : `  ${phaseMark(workflow.phase)} ${workflow.phase}${workflow.progress === undefined ? '' : ` ${workflow.progress}`}`;
    lines.push(`      ${twig} ${workflow.label}${state}`);
  });
  return lines;
}

/** Levels top to bottom; stages of one level may run at the same time. */
export function renderText(graph: StageGraph): string {
  const columns = byLevel(graph);
  const lines = [
    `${graph.title}${graph.phase === undefined ? '' : `: ${graph.phase}`}`,
    `${graph.stages.length} stages in ${columns.length} levels; stages of one level run at the same time`,
    '',
  ];
  columns.forEach((column, level) => {
    for (const stage of column) lines.push(...textStage(stage, level));
  });
  return `${lines.join('\n')}\n`;
}

// ---- mermaid -------------------------------------------------------------------------------------

const mermaidText = (text: string): string => `"${text.replaceAll('"', '#quot;')}"`;

function mermaidStage(stage: GraphStage): string[] {
  const lines = [`  subgraph ${stage.id}[${mermaidText(stageCaption(stage))}]`, '    direction TB'];
  for (const workflow of stage.workflows) lines.push(`    ${workflow.id}[${mermaidText(workflowCaption(workflow))}]`);
  if (!stage.parallel) {
    stage.workflows.slice(1).forEach((workflow, index) => lines.push(`    ${stage.workflows[index]?.id ?? ''} --> ${workflow.id}`));
  }
  if (stage.workflows.length === 0) lines.push(`    ${stage.id}_empty[${mermaidText('(no workflows)')}]`);
  lines.push('  end');
  return lines;
}

function mermaidClasses(graph: StageGraph): string[] {
  const lines: string[] = [];
  for (const phase of phasesIn(graph)) {
    const colour = PHASE_COLOURS[phase];
    if (colour === undefined) continue;
    const members = graph.stages.flatMap((stage) => [
      ...(stage.phase === phase ? [stage.id] : []),
      ...stage.workflows.filter((workflow) => workflow.phase === phase).map((workflow) => workflow.id),
    ]);
    lines.push(`  classDef ${phase} fill:${colour.fill},stroke:${colour.stroke},color:#111`);
    lines.push(`  class ${members.join(',')} ${phase}`);
  }
  return lines;
}

export function renderMermaid(graph: StageGraph): string {
  const lines = ['---', `title: ${JSON.stringify(graph.title)}`, '---', 'flowchart LR'];
  for (const stage of graph.stages) lines.push(...mermaidStage(stage));
  for (const edge of graph.edges) lines.push(`  ${edge.from.id} --> ${edge.to.id}`);
  lines.push(...mermaidClasses(graph));
  return `${lines.join('\n')}\n`;
}

// ---- dot -----------------------------------------------------------------------------------------

const dotText = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

function dotColours(phase: string | undefined): string {
  const colour = phase === undefined ? undefined : PHASE_COLOURS[phase];
  return colour === undefined ? '' : `, fillcolor=${dotText(colour.fill)}, color=${dotText(colour.stroke)}`;
}

/** The node an edge of the stage attaches to (the cluster clips it): its first workflow, or a point. */
const anchorOf = (stage: GraphStage): string => stage.workflows[0]?.id ?? `${stage.id}_anchor`;

function dotStage(stage: GraphStage): string[] {
  const lines = [`  subgraph cluster_${stage.id} {`, `    label=${dotText(stageCaption(stage) + (stage.phase === undefined ? '' : ` · ${stage.phase}`))};`];
  const colour = stage.phase === undefined ? undefined : PHASE_COLOURS[stage.phase];
  lines.push(
    `    style="rounded${colour === undefined ? '' : ',filled'}";${colour === undefined ? '' : ` fillcolor=${dotText(colour.fill)}; color=${dotText(colour.stroke)};`}`,
  );
  for (const workflow of stage.workflows) lines.push(`    ${workflow.id} [label=${dotText(workflowCaption(workflow))}${dotColours(workflow.phase)}];`);
  if (stage.workflows.length === 0) lines.push(`    ${anchorOf(stage)} [shape=point, style=invis];`);
  if (!stage.parallel) stage.workflows.slice(1).forEach((workflow, index) => lines.push(`    ${stage.workflows[index]?.id ?? ''} -> ${workflow.id};`));
  lines.push('  }');
  return lines;
}

export function renderDot(graph: StageGraph): string {
  const lines = [
    `digraph ${dotText(graph.title)} {`,
    '  rankdir=LR;',
    '  compound=true;',
    `  label=${dotText(graph.title + (graph.phase === undefined ? '' : `: ${graph.phase}`))};`,
    '  labelloc=t;',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
  ];
  for (const stage of graph.stages) lines.push(...dotStage(stage));
  for (const { from, to } of graph.edges) lines.push(`  ${anchorOf(from)} -> ${anchorOf(to)} [ltail=cluster_${from.id}, lhead=cluster_${to.id}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
