/** `drplan <command> [args]`: dispatches to one module per command under `cli/commands/`. */
import { ExitCode, type Command, type Io } from './io.js';

const commands: Record<string, () => Promise<Command>> = {
  lint: async () => (await import('./commands/lint.js')).lint,
  apiserver: async () => (await import('./commands/apiserver.js')).apiserver,
  dev: async () => (await import('./commands/dev.js')).dev,
  execute: async () => (await import('./commands/execute.js')).execute,
  revert: async () => (await import('./commands/revert.js')).revert,
  retry: async () => (await import('./commands/retry.js')).retry,
  skip: async () => (await import('./commands/skip.js')).skip,
  cancel: async () => (await import('./commands/cancel.js')).cancel,
  pause: async () => (await import('./commands/pause.js')).pause,
  resume: async () => (await import('./commands/pause.js')).resume,
  status: async () => (await import('./commands/status.js')).status,
  history: async () => (await import('./commands/history.js')).history,
  report: async () => (await import('./commands/report.js')).report,
  describe: async () => (await import('./commands/describe.js')).describe,
  graph: async () => (await import('./commands/graph.js')).graph,
  events: async () => (await import('./commands/events.js')).events,
  replay: async () => (await import('./commands/replay.js')).replay,
};

function help(io: Io, loaded: Record<string, Command>): void {
  io.stdout.write('Usage: drplan <command> [options]\n\nCommands:\n');
  for (const [name, command] of Object.entries(loaded)) io.stdout.write(`  ${name.padEnd(12)}${command.summary}\n`);
  io.stdout.write("\nRun `drplan <command> --help` for a command's options.\n");
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const loaded: Record<string, Command> = {};
    for (const [key, load] of Object.entries(commands)) loaded[key] = await load();
    help(io, loaded);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const load = commands[name];
  if (load === undefined) {
    io.stderr.write(`drplan: unknown command "${name}" (try drplan --help)\n`);
    return ExitCode.usage;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return ExitCode.ok;
  }
  return command.run(rest, io);
}
