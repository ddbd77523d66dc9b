/** What a command writes to and where it runs; tests pass in-memory streams. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
}

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Exit codes shared by every command: 0 ok, 1 the thing checked is wrong, 2 usage or unreadable input. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** Resolves with the signal's name on the first SIGINT or SIGTERM: foreground commands stop cleanly. */
export const interrupted = (): Promise<string> =>
  new Promise((done) => {
    process.once('SIGINT', () => {
      done('SIGINT');
    });
    process.once('SIGTERM', () => {
      done('SIGTERM');
    });
  });
