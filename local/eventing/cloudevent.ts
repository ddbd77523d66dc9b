/**
 * CloudEvents 1.0 over HTTP, as the broker reads and writes them: binary mode (attributes in `ce-*`
 * headers, data as the body) and structured mode (`application/cloudevents+json`). Events are kept in
 * the structured JSON form's shape, which is also what the event log stores: attributes are strings,
 * data is JSON when the content type is JSON, text when it is text, base64 otherwise — so a broker
 * passes the bytes it received on unchanged.
 */

export type EventData = { readonly json: unknown } | { readonly text: string } | { readonly base64: string };

export interface CloudEvent {
  /** `specversion`, `id`, `source`, `type`, the optional attributes and the extensions, all as strings. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly data?: EventData | undefined;
}

/** A request or response that is not a valid CloudEvent; the message names the attribute or header. */
export class CloudEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudEventError';
  }
}

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
const REQUIRED = ['id', 'source', 'type'] as const;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** RFC 3339 (what `time` must be). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

const headerOf = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** JSON when the media type says so (or is absent: CloudEvents' default is JSON). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === '' || type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

const isTextMediaType = (contentType: string | undefined): boolean => mediaType(contentType).startsWith('text/');

/** The data of a body as received: JSON parsed when it is JSON, text kept as text, anything else as base64. */
export function dataFromBytes(body: Buffer, contentType: string | undefined): EventData | undefined {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (isJsonMediaType(contentType)) {
    try {
      return { json: JSON.parse(text) as unknown };
    } catch {
      return { base64: body.toString('base64') };
    }
  }
  return isTextMediaType(contentType) ? { text } : { base64: body.toString('base64') };
}

export function dataToBytes(data: EventData | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  if ('json' in data) return Buffer.from(JSON.stringify(data.json), 'utf8');
  if ('text' in data) return Buffer.from(data.text, 'utf8');
  return Buffer.from(data.base64, 'base64');
}

/** Checks the context attributes every CloudEvent must have; throws naming the first that is wrong. */
export function validateAttributes(attributes: Record<string, string>, where: (name: string) => string): void {
  if (attributes.specversion !== '1.0') {
    throw new CloudEventError(`${where('specversion')}: unsupported CloudEvents spec version "${attributes.specversion ?? ''}" (expected 1.0)`);
  }
  for (const name of REQUIRED) {
    if ((attributes[name] ?? '') === '') throw new CloudEventError(`${where(name)}: required attribute "${name}" is missing or empty`);
  }
  for (const name of Object.keys(attributes)) {
    if (!ATTRIBUTE_NAME.test(name)) throw new CloudEventError(`${where(name)}: attribute names are lowercase letters and digits only`);
  }
  const time = attributes.time;
  if (time !== undefined && !RFC3339.test(time)) throw new CloudEventError(`${where('time')}: "${time}" is not an RFC 3339 timestamp`);
}

/** Percent-decodes a binary-mode header value (the HTTP binding encodes space, `"`, `%` and non-ASCII). */
function decodeHeaderValue(value: string, header: string): string {
  try {
    return decodeURIComponent(value);
  } catch (error: unknown) {
    throw new CloudEventError(`header ${header}: invalid percent-encoding`, { cause: error });
  }
}

function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21-\x7e]|["%]/gu, (char) => encodeURIComponent(char));
}

function fromBinary(headers: Headers, body: Buffer): CloudEvent {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (!name.toLowerCase().startsWith('ce-') || text === undefined) continue;
    attributes[name.slice(3).toLowerCase()] = decodeHeaderValue(text, name.toLowerCase());
  }
  const contentType = headerOf(headers, 'content-type');
  if (contentType !== undefined && contentType !== '') attributes.datacontenttype = contentType;
  validateAttributes(attributes, (name) => `header ce-${name}`);
  return { attributes, data: dataFromBytes(body, contentType) };
}

function attributeText(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new CloudEventError(`${name}: an attribute value must be a string, number or boolean, not ${value === null ? 'null' : typeof value}`);
}

/** The data members of the structured form: `data` (JSON, or text for a non-JSON content type) or `data_base64`. */
function structuredData(value: Record<string, unknown>, contentType: string | undefined): EventData | undefined {
  if (value.data_base64 !== undefined) return { base64: attributeText('data_base64', value.data_base64) };
  if (value.data === undefined) return undefined;
  return typeof value.data === 'string' && !isJsonMediaType(contentType) ? { text: value.data } : { json: value.data };
}

/** Reads the structured JSON form (the body of a structured-mode request, a line of the event log). */
export function fromStructured(value: unknown): CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CloudEventError('body: a structured CloudEvent must be a JSON object');
  const record = value as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [name, field] of Object.entries(record)) {
    if (name !== 'data' && name !== 'data_base64') attributes[name] = attributeText(name, field);
  }
  validateAttributes(attributes, (name) => name);
  return { attributes, data: structuredData(record, attributes.datacontenttype) };
}

/** The structured JSON form of an event (what the log stores and structured mode sends). */
export function toStructured(event: CloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event.attributes };
  const { data } = event;
  if (data === undefined) return out;
  if ('json' in data) out.data = data.json;
  else if ('text' in data) out.data = data.text;
  else out.data_base64 = data.base64;
  return out;
}

function fromStructuredBody(body: Buffer): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error: unknown) {
    throw new CloudEventError('body: structured mode needs a JSON body', { cause: error });
  }
  return fromStructured(parsed);
}

/** How an HTTP message carries a CloudEvent: binary, structured, or not at all. */
export function encodingOf(headers: Headers): 'binary' | 'structured' | 'batch' | 'none' {
  if (headerOf(headers, 'ce-specversion') !== undefined) return 'binary';
  const type = mediaType(headerOf(headers, 'content-type'));
  if (type === STRUCTURED_CONTENT_TYPE) return 'structured';
  return type === 'application/cloudevents-batch+json' ? 'batch' : 'none';
}

/** Reads the CloudEvent of a request (or response); throws `CloudEventError` naming what is wrong. */
export function readHttpEvent(headers: Headers, body: Buffer): CloudEvent {
  const encoding = encodingOf(headers);
  if (encoding === 'binary') return fromBinary(headers, body);
  if (encoding === 'structured') return fromStructuredBody(body);
  if (encoding === 'batch') throw new CloudEventError('Content-Type: batched CloudEvents are not accepted; send one event per request');
  throw new CloudEventError('not a CloudEvent: no ce-specversion header (binary mode) and Content-Type is not application/cloudevents+json (structured mode)');
}

export interface HttpMessage {
  headers: Record<string, string>;
  body: Buffer;
}

/** Binary mode: each attribute as a `ce-` header, `datacontenttype` as Content-Type, the data as the body. */
export function toBinary(event: CloudEvent): HttpMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.attributes)) {
    if (name !== 'datacontenttype') headers[`ce-${name}`] = encodeHeaderValue(value);
  }
  const contentType = event.attributes.datacontenttype ?? (event.data !== undefined && 'json' in event.data ? 'application/json' : undefined);
  if (contentType !== undefined && event.data !== undefined) headers['content-type'] = contentType;
  return { headers, body: dataToBytes(event.data) };
}

export function toStructuredMessage(event: CloudEvent): HttpMessage {
  return { headers: { 'content-type': `${STRUCTURED_CONTENT_TYPE}; charset=utf-8` }, body: Buffer.from(JSON.stringify(toStructured(event)), 'utf8') };
}

/** The event with some attributes set (or removed, with `undefined`). */
export function withAttributes(event: CloudEvent, changes: Readonly<Record<string, string | undefined>>): CloudEvent {
  const attributes: Record<string, string> = { ...event.attributes };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) Reflect.deleteProperty(attributes, name);
    else attributes[name] = value;
  }
  return { attributes, data: event.data };
}
