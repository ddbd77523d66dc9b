/**
 * Showing an execution as it changes. On a terminal the tree is redrawn in place (and its running
 * durations tick once a second, from the last state received — no extra API calls); piped, one plain
 * line per transition; with `-o json|yaml`, one document per change.
 */
import { stringify } from 'yaml';
import type { KubeObject } from '../../shared/kube/types.js';
import type { Io } from '../io.js';
import { executionView, viewDocument, type ExecutionView } from './execution-view.js';
import { paintFor } from './format.js';
import { transitionLines } from './transitions.js';
import { renderTree } from './tree.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

export interface Display {
  show(object: KubeObject): void;
  /** Stops any timer; the screen keeps the last state. */
  end(): void;
}

interface Terminal {
  tty: boolean;
  columns: number | undefined;
  rows: number | undefined;
}

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined);

/** What the output stream is: a terminal (with its size) or a pipe or file. */
export function terminalOf(io: Io): Terminal {
  const stream = io.stdout as { isTTY?: unknown; columns?: unknown; rows?: unknown };
  return { tty: stream.isTTY === true, columns: numberOr(stream.columns), rows: numberOr(stream.rows) };
}

/** The document of one state, as `status -o json|yaml` prints it. */
export function formatDocument(view: ExecutionView, format: 'json' | 'yaml', compact: boolean): string {
  const document = viewDocument(view);
  if (format === 'yaml') return `${compact ? '---\n' : ''}${stringify(document)}`;
  return `${compact ? JSON.stringify(document) : JSON.stringify(document, null, 2)}\n`;
}

const ERASE_UP = (lines: number): string => (lines === 0 ? '' : `\u001b[${lines}F\u001b[0J`);
const CLEAR_SCREEN = '\u001b[H\u001b[2J';
const TICK_MS = 1000;

function treeDisplay(io: Io, terminal: Terminal): Display {
  let drawn = 0;
  let last: KubeObject | undefined;
  const draw = (object: KubeObject): void => {
    const lines = renderTree(executionView(object, new Date()), { paint: paintFor(true), width: terminal.columns });
    const tooTall = terminal.rows !== undefined && Math.max(drawn, lines.length) >= terminal.rows;
    io.stdout.write(`${tooTall ? CLEAR_SCREEN : ERASE_UP(drawn)}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(() => {
    if (last !== undefined) draw(last);
  }, TICK_MS);
  timer.unref();
  return {
    show: (object) => {
      last = object;
      draw(object);
    },
    end: () => {
      clearInterval(timer);
    },
  };
}

function linesDisplay(io: Io): Display {
  let previous: ExecutionView | undefined;
  return {
    show: (object) => {
      const now = new Date();
      const view = executionView(object, now);
      for (const line of transitionLines(previous, view, now)) io.stdout.write(`${line}\n`);
      previous = view;
    },
    end: () => undefined,
  };
}

const documentDisplay = (io: Io, format: 'json' | 'yaml'): Display => ({
  show: (object) => io.stdout.write(formatDocument(executionView(object, new Date()), format, true)),
  end: () => undefined,
});

/** The display for a live view in this format on this output. */
export function liveDisplay(io: Io, format: OutputFormat): Display {
  if (format !== 'text') return documentDisplay(io, format);
  const terminal = terminalOf(io);
  return terminal.tty ? treeDisplay(io, terminal) : linesDisplay(io);
}
