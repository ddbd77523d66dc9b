/** Small text formats shared by the renderers: durations, times, progress bars, phase marks and colours. */
export { formatDuration } from '../../shared/api/duration.js';

/** Milliseconds between two RFC 3339 times (the end defaults to `now`); undefined without a start. */
export function elapsed(start: string | undefined, end: string | undefined, now: Date): number | undefined {
  if (start === undefined) return undefined;
  const from = Date.parse(start);
  const to = end === undefined ? now.getTime() : Date.parse(end);
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : Math.max(0, to - from);
}

/** `2026-11-26 10:15:03Z` */
export function formatTime(time: string | undefined): string {
  if (time === undefined) return '-';
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? time : `${parsed.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `10:15:03` (UTC), for lines of a live log. */
export const clock = (at: Date): string => at.toISOString().slice(11, 19);

/** `[#####-----]` for `done` of `total` in `width` cells (rounded down: full only when all is done). */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? 0 : Math.min(width, Math.floor((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export const percent = (done: number, total: number): string => `${total <= 0 ? 0 : Math.floor((done / total) * 100)}%`;

const MARKS: Readonly<Record<string, string>> = {
  Pending: '·',
  Running: '▶',
  Succeeded: '✔',
  Failed: '✘',
  Skipped: '-',
  Cancelled: '⊘',
  Unknown: '?',
};

export const phaseMark = (phase: string): string => MARKS[phase] ?? '·';

/** ANSI colours per phase, used only on a terminal. */
const COLOURS: Readonly<Record<string, string>> = {
  Running: '\u001b[36m',
  Succeeded: '\u001b[32m',
  Failed: '\u001b[31m',
  Cancelled: '\u001b[33m',
  Unknown: '\u001b[35m',
  Skipped: '\u001b[2m',
};

export type Paint = (phase: string, text: string) => string;

export const plain: Paint = (_phase, text) => text;
export const ansi: Paint = (phase, text) => {
  const colour = COLOURS[phase];
  return colour === undefined ? text : `${colour}${text}\u001b[0m`;
};

/** Colour for a terminal that wants it (`NO_COLOR` unset). */
export const paintFor = (tty: boolean): Paint => (tty && (process.env.NO_COLOR ?? '') === '' ? ansi : plain);

/** Phase colours of the pictures (mermaid, dot, svg): fill and stroke. */
export const PHASE_COLOURS: Readonly<Record<string, { fill: string; stroke: string }>> = {
  Pending: { fill: '#f4f4f5', stroke: '#a1a1aa' },
  Running: { fill: '#dbeafe', stroke: '#2563eb' },
  Succeeded: { fill: '#dcfce7', stroke: '#16a34a' },
  Failed: { fill: '#fee2e2', stroke: '#dc2626' },
  Skipped: { fill: '#f4f4f5', stroke: '#d4d4d8' },
  Cancelled: { fill: '#fef3c7', stroke: '#d97706' },
  Unknown: { fill: '#f3e8ff', stroke: '#9333ea' },
};

/** Columns padded to the widest cell of each; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('   ')
      .trimEnd(),
  );
}
