/**
 * HTTP actions: one request per attempt, with the attempt's identity in the `Idempotency-Key` header
 * (`<execution uid>/<action path>/<attempt>`), the action's timeout, `successCodes` (default any 2xx),
 * the status recorded (and, when the action asks, the first `bodyLimit` characters of the body, secrets
 * in a JSON body redacted; a body is never logged). 5xx, 429, network errors and
 * timeouts are retried by the retry policy; any other status fails the action. Link-local and cloud
 * metadata targets are refused (ssrf.ts), at every redirect hop. Header values are never logged, and
 * URLs are logged and recorded without their query string or credentials. `headersFrom` values are read
 * from Secrets, as the plan's ServiceAccount, when the request is sent: they are never in the status.
 */
import type { ActionOutputs, HTTPAction } from '../../shared/api/index.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { actionTimeoutMs } from '../../shared/engine/resync.js';
import type { ExecutorContext } from './executor.js';
import { fatal, retryable } from './executor.js';
import type { OutgoingRequest } from './node-fetch.js';
import { nodeFetch } from './node-fetch.js';
import { checkTarget, refuseTarget, systemResolver, type TargetCheck } from './ssrf.js';
import { CANCELLED_REASON } from './stop-watch.js';
import { CANCELLED_WHILE_RUNNING } from '../../shared/engine/cancel.js';
import { apiFailure } from './kube-errors.js';
import type { KubeObject } from '../../shared/kube/types.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const MAX_REDIRECTS = 5;

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const TLS_ERRORS: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

interface Hop extends OutgoingRequest {
  url: URL;
}

/** `origin + path`: no credentials, no query string (tokens live there). */
export const safeUrl = (url: URL): string => `${url.origin}${url.pathname}`;

/**
 * The attempt whose key a request carries: this one, or an earlier one whose request got no answer
 * (`outputs.unsettledAttempt`) — that request may have had its effect, and only the same key lets the
 * target tell a repeat from a new request. A definite answer (any HTTP status) settles it.
 */
const keyAttempt = (ctx: Pick<ExecutorContext, 'id' | 'recorded'>): number => ctx.recorded?.unsettledAttempt ?? ctx.id.attempt;

/** The key for one attempt; characters a header cannot carry are percent-encoded. */
export function idempotencyKey(ctx: Pick<ExecutorContext, 'id' | 'recorded'>): string {
  const key = `${ctx.id.execution.uid}/${ctx.id.path}/${keyAttempt(ctx)}`;
  return key.replace(/[^\x20-\x7e]/gu, (char) => encodeURIComponent(char));
}

function buildHeaders(http: HTTPAction, key: string): Headers | string {
  const headers = new Headers();
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    try {
      headers.set(name, value);
    } catch {
      return `http.headers: header ${JSON.stringify(name)} has an invalid name or value`;
    }
  }
  headers.set(IDEMPOTENCY_HEADER, key);
  return headers;
}

/** The first request, or a problem with the action as written. */
function firstHop(ctx: ExecutorContext, http: HTTPAction, signal: AbortSignal | undefined): Hop | string {
  let url: URL;
  try {
    url = new URL(http.url);
  } catch {
    return `http.url: ${JSON.stringify(http.url)} is not a valid URL`;
  }
  if ((http.method === 'GET' || http.method === 'HEAD') && http.body !== undefined) return `http.body: a ${http.method} request cannot carry a body`;
  const headers = buildHeaders(http, idempotencyKey(ctx));
  if (typeof headers === 'string') return headers;
  moveCredentials(url, headers);
  return { url, method: http.method, headers, body: http.body, signal };
}

/**
 * Sets the headers of `http.headersFrom`, each read from its Secret (in the workflow's namespace) as the
 * plan's ServiceAccount, now — the value exists only in this request. A Secret or key that is missing,
 * or that the account may not read, fails the attempt naming the Secret and key, never the value.
 */
async function addSecretHeaders(ctx: ExecutorContext, http: HTTPAction, headers: Headers): Promise<AttemptResult | undefined> {
  for (const [index, header] of (http.headersFrom ?? []).entries()) {
    const field = `http.headersFrom[${index}]`;
    const { name, key } = header.secretKeyRef;
    const where = `Secret ${ctx.namespace}/${name}`;
    let secret;
    try {
      secret = await ctx.kube.get({ apiVersion: 'v1', kind: 'Secret', name, namespace: ctx.namespace });
    } catch (error: unknown) {
      return apiFailure(error, `${field}: reading ${where} as ${ctx.actingAs}`);
    }
    const value = secretValue(secret, key);
    if (value === undefined) return retryable(`${field}: ${secret === undefined ? `${where} not found` : `${where} has no key "${key}"`}`);
    try {
      headers.set(header.name, `${header.prefix ?? ''}${value}`);
    } catch {
      return fatal(`${field}: header ${JSON.stringify(header.name)} has an invalid name, or the value of key "${key}" of ${where} cannot be a header value`);
    }
  }
  return undefined;
}

/** The decoded value of `key` in a Secret's `data`, undefined when absent. */
function secretValue(secret: KubeObject | undefined, key: string): string | undefined {
  const data = secret?.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const encoded = (data as Record<string, unknown>)[key];
  return typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
}

/** `user:password@` in the URL becomes Basic authorization (as Go's client sends it); fetch refuses such URLs. */
function moveCredentials(url: URL, headers: Headers): void {
  if (url.username === '' && url.password === '') return;
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  if (!headers.has('authorization')) headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  url.username = '';
  url.password = '';
}

/** fetch's rules: a 303, and a 301 or 302 after a POST, continue as a GET without body. */
function becomesGet(status: number, method: string): boolean {
  if (status === 303) return method !== 'HEAD';
  return (status === 301 || status === 302) && method === 'POST';
}

/** The same host, only upgraded from http to https on the default ports: not another origin for our purpose. */
const isUpgrade = (from: URL, to: URL): boolean =>
  from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname && from.port === '' && to.port === '';

/**
 * The request a redirect leads to, or `{ elsewhere }` for a redirect to another origin: that one is not
 * followed. The action's headers (an API key, a Vault token: any header can carry a secret) and its body
 * were written for the origin of its URL, and stripping a list of known credential headers misses the
 * rest.
 */
function redirectHop(hop: Hop, response: Response): Hop | { elsewhere: URL } | undefined {
  const location = response.headers.get('location');
  if (!REDIRECTS.has(response.status) || location === null) return undefined;
  const url = new URL(location, hop.url);
  if (url.origin !== hop.url.origin && !isUpgrade(hop.url, url)) return { elsewhere: url };
  const toGet = becomesGet(response.status, hop.method);
  const headers = new Headers(hop.headers);
  if (toGet) headers.delete('content-type');
  return { ...hop, url, headers, method: toGet ? 'GET' : hop.method, body: toGet ? undefined : hop.body };
}

/** One request, to the checked address (deps.fetch, when a test gives one, is called instead and sees no address). */
async function sendOnce(ctx: ExecutorContext, hop: Hop, insecure: boolean, address: string | undefined): Promise<Response> {
  const init = { method: hop.method, headers: hop.headers, body: hop.body, signal: hop.signal };
  if (ctx.deps.fetch !== undefined && !(insecure && hop.url.protocol === 'https:')) return ctx.deps.fetch(hop.url, { ...init, redirect: 'manual' });
  return nodeFetch(hop.url, init, { address, insecure });
}

/** The failure of a redirect to another origin: the target's own refusal when it has one (a metadata address), else the origin rule. */
async function notFollowed(from: URL, to: URL, status: number, check: TargetCheck): Promise<AttemptResult> {
  const refusal = await refuseTarget(to, check);
  if (refusal !== undefined) return fatal(`http.url: ${safeUrl(to)}: ${refusal.reason}`);
  return fatal(
    `http.url: ${safeUrl(from)} redirected (${status}) to another origin, ${safeUrl(to)}; not followed: the action's headers and body are for ${from.origin}`,
  );
}

/** Sends the request, following redirects (each hop checked) unless the redirect status is itself a success code. */
async function send(ctx: ExecutorContext, first: Hop, http: HTTPAction): Promise<{ response: Response; url: URL } | AttemptResult> {
  const check = { allowPrivateTargets: ctx.deps.config.allowPrivateTargets, resolve: ctx.deps.resolve ?? systemResolver };
  let hop = first;
  for (let hops = 0; hops <= MAX_REDIRECTS; hops++) {
    const checked = await checkTarget(hop.url, check);
    if ('refusal' in checked) return (checked.refusal.retryable ? retryable : fatal)(`http.url: ${safeUrl(hop.url)}: ${checked.refusal.reason}`);
    ctx.log.info({ method: hop.method, url: safeUrl(hop.url), address: checked.address, headers: [...hop.headers.keys()] }, 'http request');
    const response = await sendOnce(ctx, hop, http.insecureSkipVerify === true, checked.address);
    const next = http.successCodes?.includes(response.status) === true ? undefined : redirectHop(hop, response);
    if (next === undefined) return { response, url: hop.url };
    await response.body?.cancel();
    if ('elsewhere' in next) return notFollowed(hop.url, next.elsewhere, response.status, check);
    hop = next;
  }
  return fatal(`http.url: more than ${MAX_REDIRECTS} redirects from ${safeUrl(first.url)}`);
}

/** At most `limit` characters of the body; the rest is not read. */
export async function readBody(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < limit) {
    const chunk = await reader.read();
    if (chunk.done) return text + decoder.decode();
    const bytes: unknown = chunk.value;
    if (bytes instanceof Uint8Array) text += decoder.decode(bytes, { stream: true });
  }
  await reader.cancel();
  return text.slice(0, limit);
}

/** Keys whose values a recorded JSON body never shows. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|session|cookie|signature/i;
/** A body not recorded is still read up to this many characters (its connection is then reused); a longer one is cut off. */
const DISCARD_READ_LIMIT = 16 * 1024;
/** A JSON body is read up to this many characters to be redacted as a whole, then cut to the limit. */
const REDACT_READ_LIMIT = 256 * 1024;

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? '<redacted>' : redacted(inner)]));
}

/**
 * What is recorded of a body the action asked to record: a JSON body with the values of secret-looking
 * keys redacted; any other body as it came; at most `limit` characters either way.
 */
export function recordableBody(text: string, limit: number): string {
  try {
    return JSON.stringify(redacted(JSON.parse(text))).slice(0, limit);
  } catch {
    // JSON that does not parse (cut, or malformed) cannot be redacted: it is not recorded
    return /^\s*[[{]/.test(text) ? '<a JSON body that could not be parsed to redact it: not recorded>' : text.slice(0, limit);
  }
}

async function recordedBody(ctx: ExecutorContext, http: HTTPAction, response: Response): Promise<string> {
  const limit = ctx.deps.config.bodyLimit;
  if (http.recordResponseBody !== true || limit === 0) {
    // read (and drop) a short body to its end, so that the connection can be used again; a long one is cut off
    await readBody(response, DISCARD_READ_LIMIT);
    return '';
  }
  return recordableBody(await readBody(response, Math.max(limit, REDACT_READ_LIMIT)), limit);
}

async function judge(ctx: ExecutorContext, http: HTTPAction, response: Response, url: URL): Promise<AttemptResult> {
  const body = await recordedBody(ctx, http, response);
  // an answer settles the key: the next attempt, if any, is a new request
  const outputs: ActionOutputs = {
    httpResponse: body === '' ? { statusCode: response.status } : { statusCode: response.status, body },
    unsettledAttempt: undefined,
  };
  ctx.log.info({ status: response.status, url: safeUrl(url), recordedBodyLength: body.length }, 'http response');
  const success = http.successCodes === undefined ? response.status >= 200 && response.status < 300 : http.successCodes.includes(response.status);
  if (success) return { ok: true, outputs };
  const expected = http.successCodes === undefined ? 'any 2xx' : http.successCodes.join(', ');
  const message = `HTTP ${response.status} from ${http.method} ${safeUrl(url)} (expected ${expected})`;
  return { ok: false, retryable: response.status >= 500 || response.status === 429, message, outputs };
}

function codeOf(error: unknown): string | undefined {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code: unknown = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const causeMessage = (error: unknown): string | undefined => (error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined);

/** Failures no retry can fix: a certificate not accepted, a port fetch refuses. */
function permanentNetworkFailure(error: unknown, hop: Hop, target: string): AttemptResult | undefined {
  const code = codeOf(error);
  if (code !== undefined && TLS_ERRORS.has(code)) {
    return fatal(`${target}: TLS certificate not accepted (${code}); fix the certificate or set http.insecureSkipVerify`);
  }
  if (causeMessage(error) === 'bad port') return fatal(`http.url: ${safeUrl(hop.url)}: port ${hop.url.port} is blocked for fetch`);
  return undefined;
}

/** A request that produced no response: timeouts and network errors are retried, certificate errors are not; a stopped one is over. */
function networkFailure(error: unknown, hop: Hop, timeout: string, stop: AbortSignal | undefined): AttemptResult {
  const target = `${hop.method} ${safeUrl(hop.url)}`;
  if (stop?.aborted === true) {
    const aborted = `${target} was aborted in flight, before an answer (${String(stop.reason)}): it may have had its effect`;
    // worded as cancel words it, whichever of the two records it first
    return fatal(stop.reason === CANCELLED_REASON ? `${CANCELLED_WHILE_RUNNING}; then: ${aborted}` : aborted);
  }
  if (hop.signal?.aborted === true) return retryable(`${target} timed out after ${timeout}`);
  const permanent = permanentNetworkFailure(error, hop, target);
  if (permanent !== undefined) return permanent;
  const detail = codeOf(error) ?? causeMessage(error) ?? (error instanceof Error ? error.message : String(error));
  return retryable(`${target} failed: ${detail.split(hop.url.href).join(safeUrl(hop.url))}`);
}

/** The pause before asking again about a request still in progress: 0.5s, 1s, 2s, … at most 10s. */
export const inProgressPauseMs = (round: number): number => Math.min(10_000, 500 * 2 ** round);

/**
 * A request repeating an earlier one — a resent attempt, or a retry carrying the key of an attempt that
 * got no answer — whose first is still being processed: the target answers 409 to the same
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header). Failing now would record an action as
 * Failed whose effect is about to happen, and a revert would not undo it; so the same request is sent
 * again after a pause, until the target answers otherwise or the attempt's timeout ends it.
 */
const stillInProgress = (ctx: ExecutorContext, http: HTTPAction, response: Response): boolean =>
  (ctx.resent === true || keyAttempt(ctx) !== ctx.id.attempt) && response.status === 409 && http.successCodes?.includes(409) !== true;

/** Sleeps `ms`, or less when `signal` (the attempt's timeout) aborts first. */
async function pause(ctx: ExecutorContext, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return ctx.deps.sleep(ms);
  if (signal.aborted) return;
  const controller = new AbortController();
  const aborted = new Promise<void>((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true, signal: controller.signal },
    );
  });
  try {
    await Promise.race([ctx.deps.sleep(ms), aborted]);
  } finally {
    controller.abort();
  }
}

async function sendUntilDone(ctx: ExecutorContext, first: Hop, http: HTTPAction): Promise<{ response: Response; url: URL } | AttemptResult> {
  for (let round = 0; ; round++) {
    const sent = await send(ctx, first, http);
    if ('ok' in sent || !stillInProgress(ctx, http, sent.response) || first.signal?.aborted === true) return sent;
    await sent.response.body?.cancel();
    ctx.log.info({ round }, 'the first request of this attempt is still in progress at the target (409); asking again');
    await pause(ctx, inProgressPauseMs(round), first.signal);
    first.signal?.throwIfAborted();
  }
}

/** Aborted when either is: the attempt's timeout, or the attempt no longer being wanted. */
function eitherSignal(timeout: AbortSignal | undefined, stop: AbortSignal | undefined): AbortSignal | undefined {
  if (timeout === undefined || stop === undefined) return timeout ?? stop;
  return AbortSignal.any([timeout, stop]);
}

/** A URL as logs and messages show it (no credentials or query), or as written when it is not a URL. */
function shownUrl(url: string): string {
  try {
    return safeUrl(new URL(url));
  } catch {
    return url;
  }
}

/**
 * What a dry run sends for an HTTP action: its `http.dryRun` request (a health or readiness URL; the
 * action's headers, no body), or nothing — then it only says what it would have sent.
 */
async function rehearseHttp(ctx: ExecutorContext, http: HTTPAction): Promise<AttemptResult> {
  const declared = http.dryRun;
  if (declared === undefined)
    return { ok: true, message: `dry run: not sent — would send ${http.method} ${shownUrl(http.url)} (set http.dryRun to check a URL instead)` };
  const { dryRun: _dryRun, body: _body, ...rest } = http;
  const request: HTTPAction = { ...rest, url: declared.url ?? http.url, method: declared.method, successCodes: declared.successCodes };
  const result = await sendHttp(ctx, request);
  const code = result.outputs?.httpResponse?.statusCode;
  const prefix = `dry run: ${request.method} ${shownUrl(request.url)}`;
  return result.ok ? { ...result, message: `${prefix} answered ${code ?? 'ok'}` } : { ...result, retryable: false, message: `${prefix}: ${result.message}` };
}

export async function runHttp(ctx: ExecutorContext): Promise<AttemptResult> {
  const http = ctx.action.http;
  if (http === undefined) return fatal('http: is required for an HTTP action');
  return ctx.dryRun === true ? rehearseHttp(ctx, http) : sendHttp(ctx, http);
}

async function sendHttp(ctx: ExecutorContext, http: HTTPAction): Promise<AttemptResult> {
  const timeoutMs = actionTimeoutMs(ctx.action.timeout);
  const first = firstHop(ctx, http, eitherSignal(timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs), ctx.signal));
  if (typeof first === 'string') return fatal(first);
  const fromSecrets = await addSecretHeaders(ctx, http, first.headers);
  if (fromSecrets !== undefined) return fromSecrets;
  try {
    const sent = await sendUntilDone(ctx, first, http);
    return 'ok' in sent ? sent : await judge(ctx, http, sent.response, sent.url);
  } catch (error: unknown) {
    // no answer: the request may have had its effect, so the next attempt keeps this key
    const failure = networkFailure(error, first, ctx.action.timeout, ctx.signal);
    return failure.ok ? failure : { ...failure, outputs: { ...failure.outputs, unsettledAttempt: keyAttempt(ctx) } };
  }
}
