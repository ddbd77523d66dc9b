/**
 * What the scenarios hand back — rows of (scenario, measure, value, aim) — and how they are shown: a
 * fixed-width table on stdout and, with `--json`, the same rows plus each scenario's details.
 */
export interface Row {
  scenario: string;
  measure: string;
  value: string;
  /** The design's aim for this measure, when it has one ("≤ 5 ms"). */
  aim?: string | undefined;
  /** Whether the value meets the aim (absent without an aim). */
  met?: boolean | undefined;
}

export interface ScenarioResult {
  scenario: string;
  rows: Row[];
  details: Record<string, unknown>;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** A row with an aim of "at most `limit`" (numbers shown with `show`). */
export function atMost(scenario: string, measure: string, value: number, aim: { limit: number; show: (n: number) => string }): Row {
  const { limit, show } = aim;
  return { scenario, measure, value: show(value), aim: `≤ ${show(limit)}`, met: value <= limit };
}

export function formatTable(rows: readonly Row[]): string[] {
  const header = ['scenario', 'measure', 'value', 'aim', ''];
  const lines = rows.map((row) => [row.scenario, row.measure, row.value, row.aim ?? '', row.met === undefined ? '' : row.met ? 'ok' : 'MISSED']);
  const widths = header.map((title, index) => Math.max(title.length, ...lines.map((line) => (line[index] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => (index === 2 ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), format(widths.map((width) => '-'.repeat(width))), ...lines.map(format)];
}
