/**
 * Just enough of the protobuf wire format to write a gnostic `openapi_v2.Document` by hand: every
 * field used is a string, a bool or a nested message, so only wire types 0 (varint) and 2
 * (length-delimited) are needed. proto3 rules: `false` and empty strings are not written.
 */

/** One field of a message: its number and value (a string, a bool, raw bytes, or a nested message). */
export type ProtoField = readonly [number, ProtoValue];
export type ProtoValue = string | boolean | Uint8Array | readonly ProtoField[];

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);

function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...tag(field, WIRE_LENGTH_DELIMITED), ...varint(payload.length), ...payload];
}

function encodeField([field, value]: ProtoField): number[] {
  if (typeof value === 'boolean') return value ? [...tag(field, WIRE_VARINT), 1] : [];
  if (typeof value === 'string') return value === '' ? [] : lengthDelimited(field, new TextEncoder().encode(value));
  if (value instanceof Uint8Array) return lengthDelimited(field, value);
  return lengthDelimited(field, encodeMessage(value));
}

/** The wire bytes of a message, its fields in the order given. */
export function encodeMessage(fields: readonly ProtoField[]): Uint8Array {
  return Uint8Array.from(fields.flatMap(encodeField));
}
