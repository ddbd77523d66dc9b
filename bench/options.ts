/**
 * The benchmark's command line: which scenarios (`--scenario sequential,fanout` or numbers `1,2`),
 * sizes (`--quick` smaller, `--full` the largest), the target's delay and `--json <file>`.
 */
export const Scenarios = {
  sequential: 'sequential',
  fanout: 'fanout',
  cost: 'cost',
  scale: 'scale',
  many: 'many',
  cold: 'cold',
  recovery: 'recovery',
  validation: 'validation',
} as const;
export type Scenario = (typeof Scenarios)[keyof typeof Scenarios];

const ORDER: readonly Scenario[] = Object.values(Scenarios);

export interface Sizes {
  sequentialActions: number;
  fanout: { stages: number; workflows: number; actions: number };
  scale: number[];
  many: number[];
}

export interface BenchOptions {
  scenarios: Scenario[];
  sizes: Sizes;
  delayMs: number;
  json?: string | undefined;
  verbose: boolean;
  /** Functions talk to the API server through the counting proxy. */
  countApi: boolean;
}

const SIZES = {
  quick: { sequentialActions: 20, fanout: { stages: 3, workflows: 5, actions: 3 }, scale: [100], many: [10] },
  normal: { sequentialActions: 20, fanout: { stages: 10, workflows: 10, actions: 3 }, scale: [100, 500, 1000], many: [50, 200] },
  full: { sequentialActions: 100, fanout: { stages: 10, workflows: 10, actions: 3 }, scale: [100, 500, 1000], many: [50, 200] },
} as const satisfies Record<string, Sizes>;

export const USAGE = `usage: npx tsx bench/index.ts [--scenario ${ORDER.join(',')} | 1,2,…] [--quick | --full] [--delay MS] [--json FILE] [--verbose] [--direct]`;

function scenarioOf(word: string): Scenario {
  const byNumber = /^[1-7]$/.test(word) ? ORDER[Number(word) - 1] : undefined;
  const found = byNumber ?? ORDER.find((scenario) => scenario === word);
  if (found === undefined) throw new Error(`--scenario: unknown scenario "${word}"; one of ${ORDER.join(', ')} (or 1–${ORDER.length})`);
  return found;
}

function valueAfter(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function sizesOf(args: readonly string[]): Sizes {
  if (args.includes('--quick') && args.includes('--full')) throw new Error('--quick and --full exclude each other');
  if (args.includes('--quick')) return structuredClone(SIZES.quick);
  return structuredClone(args.includes('--full') ? SIZES.full : SIZES.normal);
}

const KNOWN = new Set(['--scenario', '--quick', '--full', '--delay', '--json', '--verbose', '--direct']);

export function parseOptions(args: readonly string[]): BenchOptions {
  const unknown = args.filter((arg, index) => arg.startsWith('--') && !KNOWN.has(arg) && index >= 0);
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(', ')}`);
  const chosen = valueAfter(args, '--scenario');
  const scenarios =
    chosen === undefined
      ? [...ORDER]
      : ORDER.filter((scenario) =>
          chosen
            .split(',')
            .map((word) => scenarioOf(word.trim()))
            .includes(scenario),
        );
  const delayText = valueAfter(args, '--delay') ?? '20';
  const delayMs = Number(delayText);
  if (!Number.isInteger(delayMs) || delayMs < 1) throw new Error(`--delay: a whole number of milliseconds ≥ 1, not "${delayText}"`);
  return {
    scenarios,
    sizes: sizesOf(args),
    delayMs,
    json: valueAfter(args, '--json'),
    verbose: args.includes('--verbose'),
    countApi: !args.includes('--direct'),
  };
}
