/**
 * One pino root logger per function (object first, constant message; a child per event). The
 * level comes from `LOG_LEVEL` (default `info`); no transports (they spawn worker threads that a bundle
 * cannot ship); anything that looks like a credential in a logged object is redacted.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../function-deps.js';

export const DEFAULT_LOG_LEVEL = 'info';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = (typeof LEVELS)[number];

/** Header values and credentials never reach a log line, at whatever depth they are logged. */
export const REDACTED_PATHS = [
  'headers',
  'authorization',
  'password',
  'token',
  '*.headers',
  '*.authorization',
  '*.password',
  '*.token',
  '*.*.headers',
  '*.*.authorization',
] as const;
export const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default stdout. */
  destination?: DestinationStream;
}

const isLevel = (value: string): value is Level => (LEVELS as readonly string[]).includes(value);

/** The level `LOG_LEVEL` names; an unknown value falls back to the default, and says so once. */
export function logLevelFrom(env: NodeJS.ProcessEnv): { level: Level; invalid?: string } {
  const wanted = (env.LOG_LEVEL ?? '').trim().toLowerCase();
  if (wanted === '') return { level: DEFAULT_LOG_LEVEL };
  return isLevel(wanted) ? { level: wanted } : { level: DEFAULT_LOG_LEVEL, invalid: env.LOG_LEVEL };
}

/** The root logger of function `name`; every line carries `function: name`. */
export function createLogger(name: string, options: LoggerOptions = {}): Logger & PinoLogger {
  const { level, invalid } = logLevelFrom(options.env ?? process.env);
  const settings = {
    level,
    base: { function: name },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const root = options.destination === undefined ? pino(settings) : pino(settings, options.destination);
  if (invalid !== undefined) root.warn({ LOG_LEVEL: invalid, using: level }, 'unknown log level, using the default');
  return root;
}
