/** Ages as kube-apiserver prints them (`k8s.io/apimachinery/pkg/util/duration.HumanDuration`). */

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

const withRest = (major: number, majorUnit: string, minor: number, minorUnit: string): string =>
  minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;

function longDuration(seconds: number): string {
  const hours = Math.floor(seconds / HOUR);
  if (hours < 8) return withRest(hours, 'h', Math.floor(seconds / MINUTE) % 60, 'm');
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return withRest(Math.floor(hours / 24), 'd', hours % 24, 'h');
  if (seconds < 2 * YEAR) return `${Math.floor(hours / 24)}d`;
  if (seconds < 8 * YEAR) return withRest(Math.floor(seconds / YEAR), 'y', Math.floor(seconds / DAY) % 365, 'd');
  return `${Math.floor(seconds / YEAR)}y`;
}

/** `HumanDuration`: `45s`, `3m20s`, `15m`, `5h10m`, `3d4h`, `400d`, `3y10d`. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * MINUTE) return `${seconds}s`;
  const minutes = Math.floor(seconds / MINUTE);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 3 * 60) return `${minutes}m`;
  return longDuration(seconds);
}

/** The age of an RFC 3339 timestamp at `now`: `<unknown>` when absent, `<invalid>` when unparsable. */
export function ageSince(timestamp: unknown, now: Date): string {
  if (timestamp === undefined || timestamp === null || timestamp === '') return '<unknown>';
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(time) ? '<invalid>' : humanDuration(now.getTime() - time);
}

/** A timestamp as Go's `time.RFC3339` in UTC (no fraction), or '' when absent or unparsable. */
export function rfc3339(timestamp: unknown): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(time) ? '' : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
