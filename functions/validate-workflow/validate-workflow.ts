/**
 * validate-workflow: a DRWorkflow's `status.phase` (Ready/Invalid), its `Ready` condition naming each
 * problem's field, `observedGeneration`, `referencedBy`, and the workflow-protection finalizer that
 * keeps a workflow while any DRPlan references it. Level-triggered: the event only says which workflow
 * to look at; everything is decided from what the API holds now.
 */
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { conflict } from '../../shared/errors.js';
import type { WorkflowValidated, ObjectId } from '../../shared/event-data.js';
import { EventTypes } from '../../shared/events.js';
import type { CoreDeps, Logger, Outcome, Reply } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { nameOf, namespacedName, workflowKey } from '../../shared/keys.js';
import { conditionalWrite } from '../../shared/kube/conditional-write.js';
import { conflictPause } from '../../shared/execution/conflict.js';
import { decideWorkflow, type WorkflowDecision } from './decide.js';

/** Reads and decisions per call before giving up with a 409 (the broker then redelivers). */
export const MAX_TRIES = 4;

export interface ValidateWorkflow {
  reconcile(id: ObjectId): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export function workflowValidatedReply(data: WorkflowValidated): Reply {
  const { generation, ...rest } = data;
  return {
    type: EventTypes.workflowValidated,
    subject: namespacedName(data.workflow),
    data: generation === undefined ? rest : { ...rest, generation },
  };
}

/** One pass's result: `done` false means a write lost a race and the pass must be made again. */
interface Pass {
  done: boolean;
  validated?: WorkflowValidated;
}

export function createValidateWorkflow(deps: CoreDeps): ValidateWorkflow {
  const { kube, clock } = deps;
  const listPlans = (): Promise<KubeObject[]> => kube.list(API_VERSION, Kinds.plan);

  async function writeStatus(workflow: KubeObject, decision: WorkflowDecision, log: Logger): Promise<KubeObject | 'retry' | 'gone'> {
    const { status } = decision;
    if (status === undefined) return workflow;
    const id = nameOf(workflow);
    const patch = {
      metadata: { resourceVersion: workflow.metadata.resourceVersion },
      status: { ...status, referencedBy: status.referencedBy.length > 0 ? status.referencedBy : null },
    };
    const result = await conditionalWrite(() => kube.mergePatchStatus(workflowKey(id), patch), `DRWorkflow ${namespacedName(id)}: write status`);
    if (result.kind !== 'written') return result.kind === 'conflict' ? 'retry' : 'gone';
    log.info({ phase: status.phase, observedGeneration: status.observedGeneration, referencedBy: status.referencedBy.length }, 'workflow status written');
    return result.object;
  }

  async function writeFinalizers(workflow: KubeObject, finalizers: string[] | undefined, log: Logger): Promise<boolean> {
    if (finalizers === undefined) return true;
    const id = nameOf(workflow);
    const patch = { metadata: { resourceVersion: workflow.metadata.resourceVersion, finalizers } };
    const result = await conditionalWrite(() => kube.mergePatch(workflowKey(id), patch), `DRWorkflow ${namespacedName(id)}: write finalizers`);
    if (result.kind === 'conflict') return false;
    if (result.kind === 'written') log.info({ finalizers }, 'workflow finalizers written');
    return true;
  }

  async function pass(id: ObjectId, log: Logger): Promise<Pass> {
    const workflow = await kube.get(workflowKey(id));
    if (workflow === undefined) return { done: true };
    const decision = decideWorkflow(workflow, await listPlans(), clock.now());
    const written = await writeStatus(workflow, decision, log);
    if (written === 'retry') return { done: false };
    if (written === 'gone') return { done: true };
    const validated = decision.status === undefined ? undefined : decision.validated;
    return { done: await writeFinalizers(written, decision.finalizers, log), validated };
  }

  async function reconcile(id: ObjectId): Promise<Outcome> {
    const log = deps.log.child({ workflow: namespacedName(id) });
    let validated: WorkflowValidated | undefined;
    for (let attempt = 1; attempt <= MAX_TRIES; attempt += 1) {
      const result = await pass(id, log);
      // A status written in an earlier pass is not written again, but its reply is still owed.
      validated = result.validated ?? validated;
      if (result.done) return validated === undefined ? [] : [workflowValidatedReply(validated)];
      await conflictPause(attempt);
    }
    throw conflict(`DRWorkflow ${namespacedName(id)}: changed by someone else on each of ${MAX_TRIES} tries`);
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
