/** What the run-action core receives: the common dependencies plus the network, a sleep and its settings. */
import type { CoreDeps } from '../../shared/function-deps.js';
import type { RunActionConfig } from './config.js';
import type { StatusWrites } from '../../shared/execution/store.js';
import type { Holder } from './holder.js';
import type { HostResolver } from './ssrf.js';
import type { StopWatch } from './stop-watch.js';

export interface RunActionDeps extends CoreDeps {
  /**
   * Tests only: HTTP actions call this instead of connecting themselves. Absent (production), they
   * connect to the address the SSRF check approved (node-fetch.ts).
   */
  fetch?: typeof globalThis.fetch | undefined;
  sleep(ms: number): Promise<void>;
  config: RunActionConfig;
  /** Resolves HTTP target host names for the link-local/metadata check; `dns.lookup` when absent. */
  resolve?: HostResolver | undefined;
  /** Combines the process's status writes of one execution; one per process, made by createRunAction. */
  statusWrites?: StatusWrites | undefined;
  /** Aborts the HTTP requests of attempts no longer wanted; one per process, made by createRunAction (absent: nothing is aborted). */
  stopWatch?: StopWatch | undefined;
  /** This process (pod and boot), recorded in the attempts it claims; absent: not recorded. */
  holder?: Holder | undefined;
}
