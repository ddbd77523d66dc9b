/**
 * The stage graph as a standalone SVG picture, laid out here (no browser, no Graphviz): one column per
 * level, left to right; each stage a box holding its workflows (stacked; joined by arrows when they run
 * in sequence); `dependsOn` edges as curves between columns. Within a column stages are ordered by the
 * average position of what they depend on, which keeps most edges from crossing. Execution graphs are
 * filled by phase and get a legend.
 */
import { byLevel, phasesIn, type GraphStage, type StageGraph } from './graph-model.js';
import { PHASE_COLOURS } from './format.js';

const FONT = 12;
/** A rough advance width of the sans-serif font at 12px, to size boxes without measuring text. */
const CHAR = 7;
const PAD = 10;
const HEADER = 26;
const ROW = 28;
const ROW_GAP = 12;
const STAGE_GAP = 28;
const COLUMN_GAP = 64;
const MARGIN = 20;
const TITLE = 34;
const MAX_LABEL = 48;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Placed {
  stage: GraphStage;
  box: Box;
}

const escapeXml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');

const clip = (text: string): string => (text.length <= MAX_LABEL ? text : `${text.slice(0, MAX_LABEL - 1)}…`);
const workflowLabel = (label: string, progress: string | undefined): string => clip(`${label}${progress === undefined ? '' : `  ${progress}`}`);
const stageLabel = (stage: GraphStage): string => clip(`${stage.name}${stage.parallel ? '  ∥ parallel' : ''}`);

const stageHeight = (stage: GraphStage): number => HEADER + Math.max(1, stage.workflows.length) * (ROW + ROW_GAP) - ROW_GAP + PAD;

/** The header holds the name on the left and, for an execution, the phase on the right. */
const headerLength = (stage: GraphStage): number => stageLabel(stage).length + (stage.phase === undefined ? 0 : stage.phase.length + 3);

function columnWidth(column: readonly GraphStage[]): number {
  const lengths = column.flatMap((stage) => [headerLength(stage), ...stage.workflows.map((w) => workflowLabel(w.label, w.progress).length)]);
  return Math.max(160, ...lengths.map((length) => length * CHAR + 4 * PAD));
}

/** Orders each column by the mean row of the stages it depends on (stable for ties). */
function orderColumns(columns: readonly GraphStage[][]): GraphStage[][] {
  const row = new Map<string, number>();
  return columns.map((column) => {
    const keyed = column.map((stage, index) => {
      const parents = stage.dependsOn.flatMap((dep) => {
        const position = row.get(dep);
        return position === undefined ? [] : [position];
      });
      const key = parents.length === 0 ? index : parents.reduce((sum, value) => sum + value, 0) / parents.length;
      return { stage, key, index };
    });
    const ordered = keyed.sort((a, b) => a.key - b.key || a.index - b.index).map(({ stage }) => stage);
    ordered.forEach((stage, position) => row.set(stage.name, position));
    return ordered;
  });
}

function place(graph: StageGraph): { placed: Placed[]; width: number; height: number } {
  const columns = orderColumns(byLevel(graph));
  const heights = columns.map((column) => column.reduce((sum, stage) => sum + stageHeight(stage), 0) + STAGE_GAP * (column.length - 1));
  const tallest = Math.max(0, ...heights);
  const placed: Placed[] = [];
  let x = MARGIN;
  columns.forEach((column, index) => {
    const width = columnWidth(column);
    let y = MARGIN + TITLE + (tallest - (heights[index] ?? 0)) / 2;
    for (const stage of column) {
      const height = stageHeight(stage);
      placed.push({ stage, box: { x, y, width, height } });
      y += height + STAGE_GAP;
    }
    x += width + COLUMN_GAP;
  });
  return { placed, width: Math.max(x - COLUMN_GAP + MARGIN, 360), height: MARGIN + TITLE + tallest + MARGIN };
}

const colours = (phase: string | undefined): { fill: string; stroke: string } =>
  (phase === undefined ? undefined : PHASE_COLOURS[phase]) ?? { fill: '#ffffff', stroke: '#52525b' };

const text = (x: number, y: number, content: string, attributes = ''): string =>
  `<text x="${x}" y="${y}"${attributes === '' ? '' : ` ${attributes}`}>${escapeXml(content)}</text>`;

function stageSvg({ stage, box }: Placed): string[] {
  const stroke = stage.phase === undefined ? '#71717a' : colours(stage.phase).stroke;
  const title = `${stage.name}${stage.phase === undefined ? '' : `: ${stage.phase}`}`;
  const parts = [
    `<g class="stage" id="${stage.id}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="8" fill="#fafafa" stroke="${stroke}" stroke-width="1.5"/>`,
    text(box.x + PAD, box.y + 18, stageLabel(stage), 'font-weight="bold"'),
  ];
  if (stage.phase !== undefined) parts.push(text(box.x + box.width - PAD, box.y + 18, stage.phase, `text-anchor="end" fill="${stroke}"`));
  stage.workflows.forEach((workflow, index) => {
    const y = box.y + HEADER + index * (ROW + ROW_GAP);
    const colour = colours(workflow.phase);
    const inner = { x: box.x + PAD, width: box.width - 2 * PAD };
    parts.push(`<rect x="${inner.x}" y="${y}" width="${inner.width}" height="${ROW}" rx="5" fill="${colour.fill}" stroke="${colour.stroke}"/>`);
    parts.push(text(inner.x + PAD, y + 18, workflowLabel(workflow.label, workflow.progress)));
    if (!stage.parallel && index > 0) parts.push(`<path d="M${inner.x + inner.width / 2} ${y - ROW_GAP} V${y}" stroke="#52525b" marker-end="url(#arrow)"/>`);
  });
  if (stage.workflows.length === 0) parts.push(text(box.x + PAD, box.y + HEADER + 18, '(no workflows)', 'fill="#71717a"'));
  parts.push('</g>');
  return parts;
}

function edgeSvg(from: Box, to: Box): string {
  const start = { x: from.x + from.width, y: from.y + from.height / 2 };
  const end = { x: to.x - 2, y: to.y + to.height / 2 };
  const bend = Math.max(COLUMN_GAP / 2, (end.x - start.x) / 2);
  return `<path class="edge" d="M${start.x} ${start.y} C${start.x + bend} ${start.y} ${end.x - bend} ${end.y} ${end.x} ${end.y}" fill="none" stroke="#52525b" stroke-width="1.5" marker-end="url(#arrow)"/>`;
}

function legendSvg(graph: StageGraph, y: number): { parts: string[]; height: number } {
  const phases = phasesIn(graph);
  if (phases.length === 0) return { parts: [], height: 0 };
  const parts = phases.map((phase, index) => {
    const x = MARGIN + index * 110;
    const colour = colours(phase);
    return `<rect x="${x}" y="${y}" width="14" height="14" rx="3" fill="${colour.fill}" stroke="${colour.stroke}"/>${text(x + 20, y + 12, phase)}`;
  });
  return { parts, height: 14 + MARGIN };
}

const ARROW =
  '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#52525b"/></marker></defs>';

/** A well-formed standalone SVG document. */
export function renderSvg(graph: StageGraph): string {
  const heading = `${graph.title}${graph.phase === undefined ? '' : `: ${graph.phase}`}`;
  const layout = place(graph);
  const { placed, height } = layout;
  const width = Math.max(layout.width, heading.length * 8 + 2 * MARGIN, phasesIn(graph).length * 110 + 2 * MARGIN);
  const boxes = new Map(placed.map(({ stage, box }) => [stage.id, box]));
  const legend = legendSvg(graph, height - MARGIN / 2);
  const total = height + legend.height;
  const edges = graph.edges.flatMap(({ from, to }) => {
    const a = boxes.get(from.id);
    const b = boxes.get(to.id);
    return a === undefined || b === undefined ? [] : [edgeSvg(a, b)];
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT}">`,
    `<title>${escapeXml(heading)}</title>`,
    ARROW,
    `<rect width="${width}" height="${total}" fill="#ffffff"/>`,
    text(MARGIN, MARGIN + 12, heading, 'font-size="14" font-weight="bold"'),
    ...placed.flatMap(stageSvg),
    ...edges,
    ...legend.parts,
    '</svg>',
    '',
  ].join('\n');
}
