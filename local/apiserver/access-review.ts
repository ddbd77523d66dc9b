/**
 * SelfSubjectAccessReview (`kubectl auth can-i`): may the requesting user (after impersonation) do what
 * the review describes? Answered from the same RBAC decision as every request; never stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotAllowed } from './errors.js';
import { parseObjectBody, readBody, sendJson } from './http-util.js';
import type { Authorizer, RequestAttributes, UserInfo } from './rbac.js';
import type { ResourceRoute } from './routes.js';
import { isRecord } from './types.js';

const GROUP = 'authorization.k8s.io';

export const isAccessReview = (route: ResourceRoute): boolean =>
  route.group === GROUP && route.version === 'v1' && route.plural === 'selfsubjectaccessreviews' && route.name === undefined;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function attributesOf(spec: Record<string, unknown>): RequestAttributes {
  if (isRecord(spec.resourceAttributes)) {
    const attributes = spec.resourceAttributes;
    const subresource = text(attributes.subresource);
    const name = text(attributes.name);
    return {
      resourceRequest: true,
      verb: text(attributes.verb),
      apiGroup: text(attributes.group),
      resource: text(attributes.resource),
      subresource: subresource === '' ? undefined : subresource,
      namespace: text(attributes.namespace),
      name: name === '' ? undefined : name,
    };
  }
  if (isRecord(spec.nonResourceAttributes))
    return { resourceRequest: false, verb: text(spec.nonResourceAttributes.verb), path: text(spec.nonResourceAttributes.path) };
  throw badRequest('spec: exactly one of resourceAttributes and nonResourceAttributes is required');
}

export async function accessReview(
  authorizer: Authorizer,
  user: UserInfo,
  route: ResourceRoute,
  exchange: { req: IncomingMessage; res: ServerResponse },
): Promise<void> {
  if ((exchange.req.method ?? '').toUpperCase() !== 'POST') throw methodNotAllowed(exchange.req.method ?? '');
  const body = parseObjectBody(exchange.req.headers['content-type'], await readBody(exchange.req));
  if (!isRecord(body) || !isRecord(body.spec)) throw badRequest('a SelfSubjectAccessReview needs a spec');
  const request = attributesOf(body.spec);
  if (request.verb === '') throw badRequest('spec: the verb is required');
  const allowed = authorizer.allows(user, request);
  sendJson(exchange.res, 201, {
    apiVersion: `${GROUP}/${route.version}`,
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status: { allowed },
  });
}
