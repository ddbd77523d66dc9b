/**
 * One replica of a function: a faas-js-runtime process serving one bundle on its own port, watched
 * over. It is ready once `/health/readiness` answers 200; when the process exits (a crash, a kill)
 * it is restarted after a backoff that doubles on each quick failure (200 ms up to 10 s) and resets
 * once a run has lasted 30 s. A replica that does not become ready in time is killed and restarted.
 * Each process has an IPC channel to the host and ends when it closes (exit-with-parent.mjs), so a
 * host killed outright leaves no orphans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const RUNTIME_CLI = fileURLToPath(new URL('../../node_modules/faas-js-runtime/bin/cli.js', import.meta.url));
const EXIT_WITH_PARENT = new URL('./exit-with-parent.mjs', import.meta.url).href;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
const STABLE_RUN_MS = 30_000;
const OUTPUT_KEPT = 50;

export interface ReplicaOptions {
  /** `namespace/name#index`, for messages. */
  label: string;
  /** The bundle (or any module exporting `handle`). */
  entry: string;
  port: number;
  /** A new port for a process that could not take its port (another process holds it). */
  choosePort?: (() => Promise<number>) | undefined;
  env: Readonly<Record<string, string>>;
  warn: (line: string) => void;
  /** Each line the process writes, when wanted. */
  output?: ((label: string, line: string) => void) | undefined;
  readinessTimeoutMs?: number | undefined;
}

export interface ReplicaStatus {
  label: string;
  url: string;
  pid: number | undefined;
  ready: boolean;
  /** How many times the process was restarted. */
  restarts: number;
  /** The address the process reported binding (undefined before it listens). */
  address?: string | undefined;
}

export class Replica {
  private port: number;
  /** The port the running process reported it listens on (exit-with-parent.mjs). */
  private boundPort: number | undefined;
  /** The address it reported binding: 127.0.0.1, functions are never reachable from the network here. */
  private boundAddress: string | undefined;
  private readonly options: ReplicaOptions;
  private child: ChildProcess | undefined;
  private ready = false;
  private stopping = false;
  private restarts = 0;
  private quickFailures = 0;
  private readonly lines: string[] = [];
  private partial = { stdout: '', stderr: '' };
  private readonly readyWaiters = new Set<() => void>();
  private exited: Promise<void> = Promise.resolve();

  constructor(options: ReplicaOptions) {
    this.options = options;
    this.port = options.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  status(): ReplicaStatus {
    return { label: this.options.label, url: this.url, pid: this.child?.pid, ready: this.ready, restarts: this.restarts, address: this.boundAddress };
  }

  isReady(): boolean {
    return this.ready && !this.stopping;
  }

  /** The last lines the process wrote. */
  recentOutput(): string {
    return this.lines.join('\n');
  }

  /** The last error line the process wrote (a stack trace's message, not its frames), else its last line. */
  lastError(): string {
    const error = this.lines.findLast((line) => /\b\w*Error\b|⛔/.test(line) && !/^\s+at /.test(line));
    return (error ?? this.lines.at(-1) ?? '(no output)').trim();
  }

  /** Resolves when the replica is ready (now or later); never rejects. */
  whenReady(): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.add(resolve));
  }

  /** Splits the output into lines (a chunk may end mid-line: the rest waits for the next chunk). */
  private keep(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    const lines = (this.partial[stream] + chunk.toString('utf8')).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > OUTPUT_KEPT) this.lines.shift();
      this.options.output?.(this.options.label, line);
    }
  }

  /** Starts the process (and keeps restarting it until `stop`). */
  start(): void {
    const { entry, env } = this.options;
    const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, RUNTIME_CLI, entry], {
      cwd: dirname(entry),
      env: { ...env, FUNC_PORT: String(this.port), DRPLAN_LOOPBACK_ONLY: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.boundPort = undefined;
    this.boundAddress = undefined;
    child.on('message', (message: unknown) => {
      const { listening: port, address } = (message ?? {}) as { listening?: unknown; address?: unknown };
      if (typeof port === 'number') this.boundPort = port;
      if (typeof address === 'string') this.boundAddress = address;
    });
    const startedAt = Date.now();
    this.partial = { stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk: Buffer) => {
      this.keep(chunk, 'stdout');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.keep(chunk, 'stderr');
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(code, signal, Date.now() - startedAt);
        resolve();
      });
    });
    void this.awaitReadiness(child);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    const neverListened = this.boundPort !== this.port;
    this.ready = false;
    this.child = undefined;
    if (this.stopping) return;
    this.quickFailures = ranMs >= STABLE_RUN_MS ? 0 : this.quickFailures + 1;
    const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, this.quickFailures - 1), MAX_BACKOFF_MS);
    this.options.warn(
      `function ${this.options.label} exited (${signal ?? `code ${code ?? '?'}`}); restarting in ${backoff} ms; last output: ${this.lastError()}`,
    );
    const timer = setTimeout(() => {
      void this.restart(neverListened);
    }, backoff);
    timer.unref();
  }

  /** Starts the process again, on a new port when it never got to listen on its own. */
  private async restart(newPort: boolean): Promise<void> {
    if (newPort && this.options.choosePort !== undefined) this.port = await this.options.choosePort();
    if (this.stopping) return;
    this.restarts += 1;
    this.start();
  }

  private async awaitReadiness(child: ChildProcess): Promise<void> {
    const timeoutMs = this.options.readinessTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const alive = (): boolean => child.exitCode === null && child.signalCode === null && !this.stopping;
    while (Date.now() < deadline && alive()) {
      // only a probe answered once the process itself listens on the port counts
      if (this.boundPort === this.port && (await this.probe())) {
        this.markReady();
        return;
      }
      await delay(50);
    }
    if (!alive()) return;
    this.options.warn(`function ${this.options.label} was not ready within ${timeoutMs} ms; killing it`);
    child.kill('SIGKILL');
  }

  private markReady(): void {
    this.ready = true;
    for (const resolve of this.readyWaiters) resolve();
    this.readyWaiters.clear();
  }

  private async probe(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/health/readiness`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and does not restart it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ready = false;
    for (const resolve of this.readyWaiters) resolve();
    this.readyWaiters.clear();
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
  }
}
