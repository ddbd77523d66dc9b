/**
 * Go duration strings (`300ms`, `10s`, `5m`, `1h30m`, `1.5h`), as `time.ParseDuration` accepts them,
 * restricted to non-negative values. Parsed to milliseconds.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TOKEN = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds for a Go duration string, or `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '') return undefined;
  TOKEN.lastIndex = 0;
  let total = 0;
  while (TOKEN.lastIndex < body.length) {
    const match = TOKEN.exec(body);
    if (match === null) return undefined;
    const [, amount = '', unit = ''] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== undefined;
}

/** A short human form of a duration in milliseconds: `850ms`, `12.3s`, `4m5s`, `1h2m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toString()}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m`;
  return `${minutes}m${seconds}s`;
}

/** `backoffMultiplier` is a decimal string ≥ 1.0 (`"2.0"`, `"1.5"`). */
export function parseMultiplier(text: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value >= 1 ? value : undefined;
}
