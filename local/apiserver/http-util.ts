/** HTTP plumbing: reading bounded bodies, content negotiation (JSON or a meta.k8s.io Table), replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseYamlValue } from '../../shared/yaml.js';
import { badRequest, notAcceptable, tooLarge, unsupportedMediaType, type ApiError } from './errors.js';
import { checkedDepth, parseJsonBody } from './patch-types.js';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from './protobuf.js';

/** The real server's limit on request bodies. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Past this, an oversized body is no longer drained (the connection is dropped instead). */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * The request body; 413 when it is over `limit`. An oversized body is still read to its end (and
 * dropped) so that the client receives the 413 instead of a reset connection.
 */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) request.destroy();
    });
    request.on('end', () => {
      if (size > limit) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      reject(badRequest('the request body could not be read', error));
    });
  });
}

export type Representation = { kind: 'json' } | { kind: 'table'; version: 'v1' | 'v1beta1' };

const JSON_TYPES = new Set(['application/json', '*/*', 'application/*', '']);
const ACCEPTED = ['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io'];

function mediaRange(text: string): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = text.split(';').map((part) => part.trim());
  const params = new Map<string, string>();
  for (const param of rest) {
    const [key = '', value = ''] = param.split('=').map((s) => s.trim());
    params.set(key.toLowerCase(), value);
  }
  return { type: type.toLowerCase(), params };
}

function representationOf(range: { type: string; params: Map<string, string> }): Representation | undefined {
  if (!JSON_TYPES.has(range.type)) return undefined;
  const as = range.params.get('as');
  if (as === undefined) return { kind: 'json' };
  const version = range.params.get('v');
  if (as === 'Table' && range.params.get('g') === 'meta.k8s.io' && (version === 'v1' || version === 'v1beta1')) return { kind: 'table', version };
  return undefined;
}

/** The first acceptable representation in the `Accept` header (406 when there is none). */
export function negotiate(accept: string | undefined): Representation {
  if (accept === undefined || accept.trim() === '') return { kind: 'json' };
  for (const text of accept.split(',')) {
    const chosen = representationOf(mediaRange(text));
    if (chosen !== undefined) return chosen;
  }
  throw notAcceptable(ACCEPTED);
}

/** The body of a create or update: JSON, YAML, or protobuf for a few built-in kinds (415 for anything else). */
export function parseObjectBody(contentType: string | undefined, raw: Buffer): unknown {
  const media = mediaRange(contentType ?? '').type;
  if (media === 'application/json' || media === '') return parseJsonBody(raw.toString('utf8'));
  if (media === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(raw);
  if (media === 'application/yaml') {
    let value: unknown;
    try {
      value = parseYamlValue(raw.toString('utf8'));
    } catch (error: unknown) {
      throw badRequest(`the request body is not valid YAML: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    return checkedDepth(value, 'the request body');
  }
  throw unsupportedMediaType(media, ['application/json', 'application/yaml']);
}

export function sendJson(response: ServerResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) };
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  response.writeHead(code, headers);
  response.end(text);
}

export function sendError(response: ServerResponse, error: ApiError): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  sendJson(response, error.code, error.toStatus());
}

export function sendText(response: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}
