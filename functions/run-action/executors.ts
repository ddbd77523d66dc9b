/** The executor of each action type; custom and automatic rollback actions run through the same ones. */
import type { ActionType } from '../../shared/api/index.js';
import { runClusternet } from './clusternet.js';
import type { ExecutorContext, ExecutorOutcome } from './executor.js';
import { finished } from './executor.js';
import { runHttp } from './http.js';
import { runJob } from './job.js';
import { runResource } from './resource.js';

const executors: Record<ActionType, (ctx: ExecutorContext) => Promise<ExecutorOutcome>> = {
  HTTP: async (ctx) => finished(await runHttp(ctx)),
  Job: runJob,
  KubernetesResource: async (ctx) => finished(await runResource(ctx)),
  Localization: async (ctx) => finished(await runClusternet(ctx, 'Localization')),
  Subscription: async (ctx) => finished(await runClusternet(ctx, 'Subscription')),
};

export function runExecutor(ctx: ExecutorContext): Promise<ExecutorOutcome> {
  return executors[ctx.action.type](ctx);
}
