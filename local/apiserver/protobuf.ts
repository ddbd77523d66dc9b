/**
 * Decoding of the Kubernetes protobuf encoding for the few built-in kinds `kubectl create` sends that
 * way (kubectl ≥ 1.32 encodes typed requests as `application/vnd.kubernetes.protobuf`): Namespace,
 * ConfigMap, Secret and ServiceAccount (`kubectl create namespace|configmap|secret|serviceaccount`), the
 * RBAC kinds (`kubectl create role|rolebinding|…`) and SelfSubjectAccessReview (`kubectl auth can-i`).
 * Other kinds get 415 asking for JSON. Field numbers are those of k8s.io/api's generated.proto.
 */
import { badRequest, unsupportedMediaType } from './errors.js';

type Value = string | number | boolean | Buffer | Record<string, unknown> | unknown[];

/** How to read one field: a scalar, a nested message, or a map entry; `repeated` collects a list. */
interface FieldSpec {
  name: string;
  type: 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'map' | 'bytesMap' | Message;
  repeated?: boolean;
}
type Message = Readonly<Record<number, FieldSpec>>;

const TIME: Message = { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } };
const OWNER_REFERENCE: Message = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Message = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  13: { name: 'ownerReferences', type: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const OBJECT_REFERENCE: Message = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'fieldPath', type: 'string' },
};
const metadata: FieldSpec = { name: 'metadata', type: OBJECT_META };

const KINDS: Record<string, Message> = {
  Namespace: {
    1: metadata,
    2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
    3: { name: 'status', type: { 1: { name: 'phase', type: 'string' } } },
  },
  ConfigMap: { 1: metadata, 2: { name: 'data', type: 'map' }, 3: { name: 'binaryData', type: 'bytesMap' }, 4: { name: 'immutable', type: 'bool' } },
  Secret: {
    1: metadata,
    2: { name: 'data', type: 'bytesMap' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map' },
    5: { name: 'immutable', type: 'bool' },
  },
  ServiceAccount: {
    1: metadata,
    2: { name: 'secrets', type: OBJECT_REFERENCE, repeated: true },
    3: { name: 'imagePullSecrets', type: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
};
const POLICY_RULE: Message = {
  1: { name: 'verbs', type: 'string', repeated: true },
  2: { name: 'apiGroups', type: 'string', repeated: true },
  3: { name: 'resources', type: 'string', repeated: true },
  4: { name: 'resourceNames', type: 'string', repeated: true },
  5: { name: 'nonResourceURLs', type: 'string', repeated: true },
};
const SUBJECT: Message = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'apiGroup', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'namespace', type: 'string' },
};
const ROLE_REF: Message = { 1: { name: 'apiGroup', type: 'string' }, 2: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' } };
const LABEL_SELECTOR: Message = {
  1: { name: 'matchLabels', type: 'map' },
  2: {
    name: 'matchExpressions',
    type: { 1: { name: 'key', type: 'string' }, 2: { name: 'operator', type: 'string' }, 3: { name: 'values', type: 'string', repeated: true } },
    repeated: true,
  },
};
const BINDING: Message = { 1: metadata, 2: { name: 'subjects', type: SUBJECT, repeated: true }, 3: { name: 'roleRef', type: ROLE_REF } };
const ACCESS_REVIEW_SPEC: Message = {
  1: {
    name: 'resourceAttributes',
    type: {
      1: { name: 'namespace', type: 'string' },
      2: { name: 'verb', type: 'string' },
      3: { name: 'group', type: 'string' },
      4: { name: 'version', type: 'string' },
      5: { name: 'resource', type: 'string' },
      6: { name: 'subresource', type: 'string' },
      7: { name: 'name', type: 'string' },
    },
  },
  2: { name: 'nonResourceAttributes', type: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } } },
};
// `kubectl create role|rolebinding|clusterrole|clusterrolebinding` and `kubectl auth can-i` send these.
Object.assign(KINDS, {
  Role: { 1: metadata, 2: { name: 'rules', type: POLICY_RULE, repeated: true } },
  ClusterRole: {
    1: metadata,
    2: { name: 'rules', type: POLICY_RULE, repeated: true },
    3: { name: 'aggregationRule', type: { 1: { name: 'clusterRoleSelectors', type: LABEL_SELECTOR, repeated: true } } },
  },
  RoleBinding: BINDING,
  ClusterRoleBinding: BINDING,
  SelfSubjectAccessReview: { 1: metadata, 2: { name: 'spec', type: ACCESS_REVIEW_SPEC } },
});
const UNKNOWN: Message = {
  1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'bytes' },
};
const MAP_ENTRY: Message = { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: 'bytes' } };
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  private offset = 0;
  private readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw badRequest('the protobuf body is truncated');
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
    }
    throw badRequest('the protobuf body has an invalid varint');
  }

  chunk(length: number): Buffer {
    if (this.offset + length > this.bytes.length) throw badRequest('the protobuf body is truncated');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.chunk(8);
    else if (wireType === 2) this.chunk(this.varint());
    else if (wireType === 5) this.chunk(4);
    else throw badRequest(`the protobuf body has an unsupported wire type ${wireType}`);
  }
}

function scalar(spec: FieldSpec, reader: Reader, wireType: number): Value {
  if (wireType === 0) {
    const n = reader.varint();
    return spec.type === 'bool' ? n !== 0 : n;
  }
  const bytes = reader.chunk(reader.varint());
  if (spec.type === 'string') return bytes.toString('utf8');
  if (spec.type === 'bytes') return bytes;
  if (spec.type === 'time') {
    const time = decodeMessage(bytes, TIME);
    return new Date(Number(time.seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
  }
  if (spec.type === 'map' || spec.type === 'bytesMap') return decodeMessage(bytes, MAP_ENTRY);
  return typeof spec.type === 'object' ? decodeMessage(bytes, spec.type) : bytes;
}

/** A map field arrives as one `{key, value}` entry message per pair; bytes values become base64 as in JSON. */
function storeEntry(out: Record<string, unknown>, spec: FieldSpec, value: Value): void {
  const entry = value as { key?: string; value?: Buffer };
  const map = (out[spec.name] ?? {}) as Record<string, string>;
  const bytes = entry.value ?? Buffer.alloc(0);
  map[entry.key ?? ''] = spec.type === 'map' ? bytes.toString('utf8') : bytes.toString('base64');
  out[spec.name] = map;
}

function store(out: Record<string, unknown>, spec: FieldSpec, value: Value): void {
  if (spec.type === 'map' || spec.type === 'bytesMap') {
    storeEntry(out, spec, value);
  } else if (spec.repeated === true) {
    out[spec.name] = [...((out[spec.name] ?? []) as unknown[]), value];
  } else if (value !== '' && value !== 0) {
    // Go writes every non-pointer field, empty or not; its JSON omits the empty ones (omitempty).
    out[spec.name] = value;
  }
}

function decodeMessage(bytes: Buffer, message: Message): Record<string, unknown> {
  const reader = new Reader(bytes);
  const out: Record<string, unknown> = {};
  while (!reader.done) {
    const key = reader.varint();
    const [field, wireType] = [Math.floor(key / 8), key % 8];
    const spec = message[field];
    if (spec === undefined) reader.skip(wireType);
    else store(out, spec, scalar(spec, reader, wireType));
  }
  return out;
}

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** A `k8s\0`-prefixed protobuf body as the JSON object it encodes (415 for kinds not handled here). */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(MAGIC)) throw badRequest('the protobuf body does not start with the Kubernetes magic number');
  const unknown = decodeMessage(body.subarray(4), UNKNOWN);
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind ?? '';
  const message = KINDS[kind];
  if (message === undefined) {
    const what = `${PROTOBUF_MEDIA_TYPE} for ${kind === '' ? 'an object without a kind' : kind}; protobuf is read for ${Object.keys(KINDS).join(', ')} only`;
    throw unsupportedMediaType(what, ['application/json', 'application/yaml']);
  }
  const raw: Buffer = Buffer.isBuffer(unknown.raw) ? unknown.raw : Buffer.alloc(0);
  return { apiVersion: typeMeta.apiVersion, kind, ...decodeMessage(raw, message) };
}
