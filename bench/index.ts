/**
 * `npm run bench`: what orchestration costs on the local stack (real functions, real HTTP, the
 * embedded eventing and API server), measured against the work itself in the same run. Scenarios:
 * sequential overhead, parallel fan-out, cost per action, scale of one execution, many executions,
 * cold start, recovery after a crash. Prints a table; `--json FILE` writes rows and details.
 *
 *   npx tsx bench/index.ts [--scenario sequential,cost] [--quick | --full] [--delay 20] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { formatTable, type ScenarioResult } from './report.js';
import { parseOptions, USAGE, Scenarios, type BenchOptions, type Scenario } from './options.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { coldStartScenario } from './scenarios/cold-start.js';
import { costScenario } from './scenarios/cost.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { manyScenario } from './scenarios/many.js';
import { recoveryScenario } from './scenarios/recovery.js';
import { scaleScenario } from './scenarios/scale.js';
import { sequentialScenario, type SequentialMeasure } from './scenarios/sequential.js';
import { validationScenario } from './scenarios/validation.js';

interface Run {
  bench: BenchStack;
  options: BenchOptions;
  sequential?: SequentialMeasure | undefined;
}

async function sequentialOf(run: Run): Promise<{ result: ScenarioResult; measure: SequentialMeasure }> {
  const outcome = await sequentialScenario(run.bench, run.options.sizes.sequentialActions);
  run.sequential = outcome.measure;
  return outcome;
}

const RUNNERS: Readonly<Record<Scenario, (run: Run) => Promise<ScenarioResult>>> = {
  [Scenarios.sequential]: async (run) => (await sequentialOf(run)).result,
  [Scenarios.fanout]: (run) => fanoutScenario(run.bench, run.options.sizes.fanout, run.options.delayMs),
  [Scenarios.cost]: async (run) => costScenario(run.sequential ?? (await sequentialOf(run)).measure),
  [Scenarios.scale]: (run) => scaleScenario(run.bench, run.options.sizes.scale),
  [Scenarios.many]: (run) => manyScenario(run.bench, run.options.sizes.many),
  [Scenarios.cold]: (run) => coldStartScenario(run.bench),
  [Scenarios.recovery]: (run) => recoveryScenario(run.bench),
  [Scenarios.validation]: () => validationScenario(),
};

function machine(): Record<string, unknown> {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` };
}

/** Runs one scenario; a failure becomes a row saying so, and the next scenario still runs. */
async function runOne(run: Run, scenario: Scenario): Promise<ScenarioResult> {
  const started = Date.now();
  console.error(`bench: ${scenario}…`);
  try {
    const result = await RUNNERS[scenario](run);
    console.error(`bench: ${scenario} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const line of formatTable(result.rows).slice(2)) console.error(`  ${line}`);
    return result;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`bench: ${scenario} failed: ${message}`);
    return { scenario, rows: [{ scenario, measure: 'FAILED', value: message.slice(0, 120) }], details: { error: message } };
  }
}

async function runAll(options: BenchOptions): Promise<{ results: ScenarioResult[]; startMs: number }> {
  const started = Date.now();
  const log = (line: string): void => {
    if (options.verbose) console.error(line);
  };
  const bench = await startBenchStack({ delayMs: options.delayMs, countApi: options.countApi, log });
  const run: Run = { bench, options };
  const startMs = Date.now() - started;
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of options.scenarios) results.push(await runOne(run, scenario));
  } finally {
    await bench.stop();
  }
  return { results, startMs };
}

/**
 * The local API server runs in this process; its watch bookmark timer can write to a watch response
 * that has already ended (ERR_STREAM_WRITE_AFTER_END from local/apiserver/watch.ts), which would end
 * the whole run. That one error is reported and survived; any other is thrown as usual.
 */
function surviveWatchBookmarkRace(): void {
  process.on('uncaughtException', (error) => {
    if ((error as { code?: unknown }).code !== 'ERR_STREAM_WRITE_AFTER_END') throw error;
    console.error(`bench: the local API server wrote to an ended watch (${error.message}); going on`);
  });
}

async function main(): Promise<void> {
  surviveWatchBookmarkRace();
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const { results, startMs } = await runAll(options);
  const about = machine();
  console.log(
    `drplan bench — ${String(about.cores)} cores (${String(about.cpu)}), node ${String(about.node)}; target delay ${options.delayMs} ms; stack started in ${startMs} ms`,
  );
  console.log('Absolute times are noisy (machine, load, other processes); the ratios and counts hold.');
  console.log('');
  for (const line of formatTable(results.flatMap((result) => result.rows))) console.log(line);
  console.log('');
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify({ machine: about, options, results }, null, 2)}\n`);
    console.log(`wrote ${options.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  if (error instanceof Error && error.message.startsWith('--')) console.error(USAGE);
  process.exitCode = 1;
});
