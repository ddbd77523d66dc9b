/**
 * `drplan report <execution>`: how long an execution took and where the time went — total, per stage,
 * workflow and action, the critical path, retries and waits — against its plan's recovery time
 * objective (`spec.objectives.rto`), as text, Markdown (for the change record) or JSON.
 */
import { DRPlanExecutionSchema, Kinds } from '../../shared/api/index.js';
import { executionReport, reportMarkdown, reportText } from '../../shared/engine/report.js';
import { ExitCode } from '../io.js';
import { CliError, getOrFail, kubeCommand, last, type CommandContext } from '../kube.js';

const USAGE = `Usage: drplan report <execution> [-o text|markdown|json] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Reports an execution against its plan's recovery time objective (spec.objectives.rto, frozen into the
execution when it started): total time, time per stage, workflow and action, the critical path (the
stages, and in each the workflow, that the end waited for), retries and the time spent on earlier
attempts, and the waits between stages. A running execution is reported as far as it has come.

  -o, --output FMT   text (default), markdown (for a change record) or json
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(value: string | undefined): Format {
  const format = FORMATS.find((candidate) => candidate === (value ?? 'text'));
  if (format === undefined) throw new CliError(`-o must be text, markdown or json, not "${value ?? ''}"`, ExitCode.usage);
  return format;
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const format = formatOf(last(parsed, '--output'));
  const name = parsed.positionals[0] ?? '';
  const object = await getOrFail(await connect(), Kinds.execution, name);
  const execution = DRPlanExecutionSchema.safeParse(object);
  if (!execution.success) throw new CliError(`DRPlanExecution "${name}" cannot be read: ${execution.error.issues[0]?.message ?? 'invalid'}`);
  const report = executionReport(execution.data);
  if (format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(format === 'markdown' ? reportMarkdown(report) : reportText(report));
  return ExitCode.ok;
}

export const report = kubeCommand({
  name: 'report',
  summary: 'report an execution against its recovery time objective (text, markdown, json)',
  usage: USAGE,
  flags: { values: ['--output'], aliases: { '-o': '--output' } },
  positionals: [1, 1],
  run,
});
