/**
 * What a drill runs against: the local stack (`startDevStack`: API server, the function bundles, the
 * eventing playing `knative/`) in a state folder, the demo target, and a Kube client on the stack's
 * kubeconfig. A temporary state folder is removed again by `stop()`; a given one is kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createKube } from '../../shared/kube/client.js';
import type { Kube } from '../../shared/kube/types.js';
import { startDemoTarget, type BehaviourInput, type DemoTarget } from '../demo-target/index.js';
import { startDevStack, type DevStack } from '../dev.js';

export interface EnvironmentOptions {
  /** Kept after the drill; default a temporary folder, removed at the end. */
  stateDir?: string | undefined;
  /** The resync tick (PingSource) every N seconds. */
  tickSeconds: number;
  /** Default the project's `knative/`. */
  manifestsDir?: string | undefined;
  /** Demo target port (0: a free one). */
  targetPort?: number | undefined;
  /** Injected into the demo target at start (and at every reset). */
  behaviours?: readonly BehaviourInput[] | undefined;
  /** Stack messages (building, warnings). */
  log: (line: string) => void;
  /** Each delivery and each function's output, when set. */
  trace?: ((line: string) => void) | undefined;
}

export interface Environment {
  stack: DevStack;
  target: DemoTarget;
  kube: Kube;
  kubeConfig: KubeConfig;
  stateDir: string;
  /** Whether `stop()` removes the state folder. */
  temporary: boolean;
  /** How long the stack and the target took to start (the build included), in ms. */
  startMs: number;
  stop(): Promise<void>;
}

function stateFolder(options: EnvironmentOptions): { stateDir: string; temporary: boolean } {
  if (options.stateDir !== undefined) return { stateDir: options.stateDir, temporary: false };
  return { stateDir: mkdtempSync(join(tmpdir(), 'drplan-drill-')), temporary: true };
}

async function startStack(options: EnvironmentOptions, stateDir: string): Promise<DevStack> {
  const trace = options.trace;
  return startDevStack({
    stateDir,
    manifestsDir: options.manifestsDir,
    tickSeconds: options.tickSeconds,
    log: options.log,
    trace,
    functionOutput:
      trace === undefined
        ? undefined
        : (label, line): void => {
            trace(`[${label}] ${line}`);
          },
  });
}

/** Starts the stack and the demo target; on failure stops what started and removes a temporary folder. */
export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const started = Date.now();
  const { stateDir, temporary } = stateFolder(options);
  const cleanUp = (): void => {
    if (temporary) rmSync(stateDir, { recursive: true, force: true });
  };
  let target: DemoTarget | undefined;
  try {
    target = await startDemoTarget({ port: options.targetPort, behaviours: options.behaviours });
    const stack = await startStack(options, stateDir);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.kubeconfigPath);
    const running = target;
    const stop = async (): Promise<void> => {
      await stack.stop();
      await running.stop();
      cleanUp();
    };
    return { stack, target, kube: createKube(kubeConfig), kubeConfig, stateDir, temporary, startMs: Date.now() - started, stop };
  } catch (error: unknown) {
    await target?.stop();
    cleanUp();
    throw error;
  }
}
