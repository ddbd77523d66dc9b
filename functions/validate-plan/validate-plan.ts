/**
 * validate-plan: a DRPlan's `status.phase` (Ready/Invalid, keeping plan-stages' Executed while valid),
 * its `Ready` condition naming each problem's field, and `observedGeneration` — against the workflows
 * it references as they are now. It also puts the protection finalizer on those workflows, so a
 * workflow a plan uses cannot disappear before validate-workflow's next look. Level-triggered: events
 * only say which plan (or which workflow's plans) to look at.
 */
import { API_VERSION, Finalizers, Kinds } from '../../shared/api/index.js';
import { toHandlerError, type HandlerError } from '../../shared/errors.js';
import type { ObjectId, PlanValidated, WorkflowValidated } from '../../shared/event-data.js';
import { EventTypes } from '../../shared/events.js';
import { validatedReply, type CoreDeps, type Logger, type Outcome, type Reply } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { planHolds, planWorkflowRefs } from '../../shared/plan-references.js';
import { type NamespacedName, nameOf, namespacedName, planKey, workflowKey } from '../../shared/keys.js';
import { retryOnConflict, writeUnlessGone } from '../../shared/kube/conflict.js';
import { decidePlan, type PlanDecision, type WorkflowIndex } from './decide.js';
import { pruneExecutions } from './retention.js';

/** Reads and decisions per call before giving up with a 409 (the broker then redelivers). */
export const MAX_TRIES = 4;

export interface ValidatePlan {
  reconcile(id: ObjectId): Promise<Outcome>;
  onWorkflowValidated(data: WorkflowValidated): Promise<Outcome>;
  onWorkflowChanged(id: ObjectId): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export const planValidatedReply = (data: PlanValidated): Reply => validatedReply(EventTypes.planValidated, namespacedName(data.plan), { ...data });

export function createValidatePlan(deps: CoreDeps): ValidatePlan {
  const { kube, clock } = deps;

  async function fetchWorkflows(plan: KubeObject): Promise<WorkflowIndex> {
    const refs = planWorkflowRefs(plan);
    const found = await Promise.all(refs.map((ref) => kube.get(workflowKey(ref))));
    const index = new Map<string, KubeObject>();
    refs.forEach((ref, i) => {
      const workflow = found[i];
      if (workflow !== undefined) index.set(namespacedName(ref), workflow);
    });
    return index;
  }

  /** Writes the decided status (a 409 goes to the retry loop); false when there was nothing to write or the plan is gone. */
  async function writeStatus(plan: KubeObject, decision: PlanDecision, log: Logger): Promise<boolean> {
    const { status } = decision;
    if (status === undefined) return false;
    const id = nameOf(plan);
    const patch = { metadata: { resourceVersion: plan.metadata.resourceVersion }, status };
    const written = await writeUnlessGone(() => kube.mergePatchStatus(planKey(id), patch), `DRPlan ${namespacedName(id)}: write status`);
    if (written !== undefined) log.info({ phase: status.phase, observedGeneration: status.observedGeneration }, 'plan status written');
    return written !== undefined;
  }

  /** Adds the protection finalizer; on a lost race re-reads the workflow and decides again. */
  async function protect(found: KubeObject, log: Logger): Promise<void> {
    const id = nameOf(found);
    let current: KubeObject | undefined = found;
    await retryOnConflict(
      `DRWorkflow ${namespacedName(id)}: add finalizer`,
      async () => {
        const workflow = current ?? (await kube.get(workflowKey(id)));
        current = undefined;
        if (workflow === undefined || workflow.metadata.deletionTimestamp !== undefined) return;
        const finalizers = workflow.metadata.finalizers ?? [];
        if (finalizers.includes(Finalizers.workflowProtection)) return;
        const patch = { metadata: { resourceVersion: workflow.metadata.resourceVersion, finalizers: [...finalizers, Finalizers.workflowProtection] } };
        const written = await writeUnlessGone(() => kube.mergePatch(workflowKey(id), patch), `DRWorkflow ${namespacedName(id)}: add finalizer`);
        if (written !== undefined) log.info({ workflow: namespacedName(id) }, 'workflow protection finalizer added');
      },
      { attempts: MAX_TRIES },
    );
  }

  /** Read, decide, write, protect; a write that loses a race makes the whole pass run again from a fresh read. */
  async function reconcile(id: ObjectId): Promise<Outcome> {
    const log = deps.log.child({ plan: namespacedName(id) });
    return retryOnConflict(
      `DRPlan ${namespacedName(id)}`,
      async () => {
        const plan = await kube.get(planKey(id));
        if (plan === undefined) return [];
        const decision = decidePlan(plan, await fetchWorkflows(plan), clock.now());
        const written = await writeStatus(plan, decision, log);
        if (decision.status !== undefined && !written) return [];
        for (const workflow of decision.unprotected) await protect(workflow, log);
        await pruneExecutions(deps, plan, log);
        return written && decision.validated !== undefined ? [planValidatedReply(decision.validated)] : [];
      },
      { attempts: MAX_TRIES },
    );
  }

  /**
   * Reconciles each plan in turn; one that fails does not stop the others. The first failure is
   * thrown at the end, so the event is redelivered (the plans already done then change nothing).
   */
  async function reconcileAll(ids: readonly NamespacedName[]): Promise<{ replies: Reply[]; failure?: HandlerError }> {
    const replies: Reply[] = [];
    let failure: HandlerError | undefined;
    for (const id of ids) {
      try {
        replies.push(...(await reconcile(id)));
      } catch (error: unknown) {
        deps.log.warn({ err: error, plan: namespacedName(id) }, 'plan validation failed');
        failure ??= toHandlerError(error, `DRPlan ${namespacedName(id)}: validate`);
      }
    }
    return { replies, failure };
  }

  async function onWorkflowChanged(workflow: ObjectId): Promise<Outcome> {
    const plans = await kube.list(API_VERSION, Kinds.plan);
    const { replies, failure } = await reconcileAll(plans.filter((plan) => planHolds(plan, workflow)).map(nameOf));
    if (failure !== undefined) throw failure;
    return replies;
  }

  async function resync(): Promise<Outcome> {
    const [plans, workflows] = await Promise.all([kube.list(API_VERSION, Kinds.plan), kube.list(API_VERSION, Kinds.workflow)]);
    const index = new Map(workflows.map((workflow) => [namespacedName(nameOf(workflow)), workflow]));
    const now = clock.now();
    const stale = plans.filter((plan) => {
      const decision = decidePlan(plan, index, now);
      return decision.status !== undefined || decision.unprotected.length > 0;
    });
    // The next tick tries the failed ones again.
    const { replies } = await reconcileAll(stale.map(nameOf));
    return replies;
  }

  return {
    reconcile,
    onWorkflowValidated: (data) => onWorkflowChanged(data.workflow),
    onWorkflowChanged,
    resync,
  };
}
