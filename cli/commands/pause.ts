/**
 * `drplan pause <execution>` / `drplan resume <execution>`: the annotation `dr.bkbcs.tencent.com/pause:
 * "true"` on the execution, set or removed. While it is there no new action starts — no stage, no
 * workflow, no first attempt — and what runs finishes; the condition `Paused` and the Events
 * ExecutionPaused / ExecutionResumed say so. Resuming requests what waited at once.
 */
import { Annotations, Kinds } from '../../shared/api/index.js';
import type { Command } from '../io.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, type CommandContext } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';

const usage = (verb: 'pause' | 'resume'): string => `Usage: drplan ${verb} <execution> [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

${
  verb === 'pause'
    ? `Pauses a running execution: no new action starts (no stage, workflow or first attempt), the actions
that are running finish, and the execution stays Running with the condition Paused=True. Sets the
annotation dr.bkbcs.tencent.com/pause: "true". drplan resume continues it.`
    : `Resumes a paused execution: what waited is requested at once. Removes the annotation
dr.bkbcs.tencent.com/pause.`
}

  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

function runFor(verb: 'pause' | 'resume') {
  return async ({ parsed, io, connect }: CommandContext): Promise<number> => {
    const name = parsed.positionals[0] ?? '';
    const connection = await connect();
    const execution = await getOrFail(connection, Kinds.execution, name);
    const phase = executionView(execution, new Date()).phase;
    if (isFinalPhase(phase)) throw new CliError(`DRPlanExecution "${name}" has already finished (phase ${phase}); there is nothing to ${verb}`);
    const pausedNow = execution.metadata.annotations?.[Annotations.pause] === 'true';
    if (pausedNow === (verb === 'pause')) {
      io.stdout.write(`DRPlanExecution ${connection.namespace}/${name} is already ${verb === 'pause' ? 'paused' : 'not paused'}\n`);
      return ExitCode.ok;
    }
    const value = verb === 'pause' ? 'true' : null;
    await connection.kube.mergePatch(drKey(Kinds.execution, name, connection.namespace), { metadata: { annotations: { [Annotations.pause]: value } } });
    io.stdout.write(
      verb === 'pause'
        ? `DRPlanExecution ${connection.namespace}/${name} paused: no new action starts; running ones finish (drplan resume ${name} continues it)\n`
        : `DRPlanExecution ${connection.namespace}/${name} resumed\n`,
    );
    return ExitCode.ok;
  };
}

export const pause: Command = kubeCommand({
  name: 'pause',
  summary: 'pause a running execution: no new action starts, running ones finish',
  usage: usage('pause'),
  flags: {},
  positionals: [1, 1],
  run: runFor('pause'),
});

export const resume: Command = kubeCommand({
  name: 'resume',
  summary: 'resume a paused execution',
  usage: usage('resume'),
  flags: {},
  positionals: [1, 1],
  run: runFor('resume'),
});
