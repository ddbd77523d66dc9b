/**
 * validate-workflow: a DRWorkflow's `status.phase` (Ready/Invalid), its `Ready` condition naming each
 * problem's field, `observedGeneration`, `referencedBy`, and the workflow-protection finalizer that
 * keeps a workflow while any DRPlan references it. Level-triggered: the event only says which workflow
 * to look at; everything is decided from what the API holds now.
 */
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import type { WorkflowValidated, ObjectId } from '../../shared/event-data.js';
import { EventTypes } from '../../shared/events.js';
import { validatedReply, type CoreDeps, type Logger, type Outcome, type Reply } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { nameOf, namespacedName, workflowKey } from '../../shared/keys.js';
import { retryOnConflict, writeUnlessGone } from '../../shared/kube/conflict.js';
import { decideWorkflow, type WorkflowDecision } from './decide.js';

/** Reads and decisions per call before giving up with a 409 (the broker then redelivers). */
export const MAX_TRIES = 4;

export interface ValidateWorkflow {
  reconcile(id: ObjectId): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export const workflowValidatedReply = (data: WorkflowValidated): Reply =>
  validatedReply(EventTypes.workflowValidated, namespacedName(data.workflow), { ...data });

export function createValidateWorkflow(deps: CoreDeps): ValidateWorkflow {
  const { kube, clock } = deps;
  const listPlans = (): Promise<KubeObject[]> => kube.list(API_VERSION, Kinds.plan);

  /** The workflow with its decided status written (as it was when nothing changed), undefined when it is gone; a 409 goes to the retry loop. */
  async function writeStatus(workflow: KubeObject, decision: WorkflowDecision, log: Logger): Promise<KubeObject | undefined> {
    const { status } = decision;
    if (status === undefined) return workflow;
    const id = nameOf(workflow);
    const patch = {
      metadata: { resourceVersion: workflow.metadata.resourceVersion },
      status: { ...status, referencedBy: status.referencedBy.length > 0 ? status.referencedBy : null },
    };
    const written = await writeUnlessGone(() => kube.mergePatchStatus(workflowKey(id), patch), `DRWorkflow ${namespacedName(id)}: write status`);
    if (written !== undefined) {
      log.info({ phase: status.phase, observedGeneration: status.observedGeneration, referencedBy: status.referencedBy.length }, 'workflow status written');
    }
    return written;
  }

  async function writeFinalizers(workflow: KubeObject, finalizers: string[] | undefined, log: Logger): Promise<void> {
    if (finalizers === undefined) return;
    const id = nameOf(workflow);
    const patch = { metadata: { resourceVersion: workflow.metadata.resourceVersion, finalizers } };
    const written = await writeUnlessGone(() => kube.mergePatch(workflowKey(id), patch), `DRWorkflow ${namespacedName(id)}: write finalizers`);
    if (written !== undefined) log.info({ finalizers }, 'workflow finalizers written');
  }

  /**
   * Read, decide, write the status, then the finalizers; a write that loses a race makes the whole pass
   * run again from a fresh read. A status written in an earlier pass is not written again, but its reply
   * is still owed.
   */
  async function reconcile(id: ObjectId): Promise<Outcome> {
    const log = deps.log.child({ workflow: namespacedName(id) });
    let validated: WorkflowValidated | undefined;
    const reply = (): Outcome => (validated === undefined ? [] : [workflowValidatedReply(validated)]);
    return retryOnConflict(
      `DRWorkflow ${namespacedName(id)}`,
      async () => {
        const workflow = await kube.get(workflowKey(id));
        if (workflow === undefined) return reply();
        const decision = decideWorkflow(workflow, await listPlans(), clock.now());
        const written = await writeStatus(workflow, decision, log);
        if (written === undefined) return reply();
        if (decision.status !== undefined) validated = decision.validated;
        await writeFinalizers(written, decision.finalizers, log);
        return reply();
      },
      { attempts: MAX_TRIES },
    );
  }

  async function resync(): Promise<Outcome> {
    const [workflows, plans] = await Promise.all([kube.list(API_VERSION, Kinds.workflow), listPlans()]);
    const now = clock.now();
    const stale = workflows.filter((workflow) => {
      const decision = decideWorkflow(workflow, plans, now);
      return decision.status !== undefined || decision.finalizers !== undefined;
    });
    const replies: Reply[] = [];
    for (const workflow of stale) {
      const id = nameOf(workflow);
      try {
        replies.push(...(await reconcile(id)));
      } catch (error: unknown) {
        // The next tick tries again; one stuck workflow must not hold up the others.
        deps.log.warn({ err: error, workflow: namespacedName(id) }, 'workflow resync failed');
      }
    }
    return replies;
  }

  return { reconcile, resync };
}
