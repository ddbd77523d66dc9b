import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CloudEventError, readHttpEvent, toBinary, toStructuredMessage, type CloudEvent } from '../../local/eventing/cloudevent.js';

const binaryHeaders = { 'ce-specversion': '1.0', 'ce-id': 'a1', 'ce-source': '/tests', 'ce-type': 'com.example.created', 'content-type': 'application/json' };

function failure(headers: Record<string, string>, body: string): CloudEventError {
  try {
    readHttpEvent(headers, Buffer.from(body));
  } catch (error: unknown) {
    if (error instanceof CloudEventError) return error;
    throw error;
  }
  assert.fail('expected the message to be refused');
}

describe('reading CloudEvents from HTTP', () => {
  it('reads a binary-mode event: attributes from ce- headers, the content type, JSON data', () => {
    // Prepare
    const headers = { ...binaryHeaders, 'ce-subject': 'default/plan%20one', 'ce-execution': 'exec-1' };

    // Act
    const event = readHttpEvent(headers, Buffer.from('{"plan":"p"}'));

    // Assess
    assert.deepEqual(event.attributes, {
      specversion: '1.0',
      id: 'a1',
      source: '/tests',
      type: 'com.example.created',
      subject: 'default/plan one',
      execution: 'exec-1',
      datacontenttype: 'application/json',
    });
    assert.deepEqual(event.data, { json: { plan: 'p' } });
  });

  it('reads a structured-mode event, extensions of any scalar type becoming strings', () => {
    // Prepare
    const body = JSON.stringify({ specversion: '1.0', id: 's1', source: '/tests', type: 'com.example.created', attempt: 2, data: { a: 1 } });

    // Act
    const event = readHttpEvent({ 'content-type': 'application/cloudevents+json; charset=utf-8' }, Buffer.from(body));

    // Assess
    assert.deepEqual(event.attributes, { specversion: '1.0', id: 's1', source: '/tests', type: 'com.example.created', attempt: '2' });
    assert.deepEqual(event.data, { json: { a: 1 } });
  });

  it('keeps data that is not JSON as it came: text as text, bytes as base64', () => {
    // Act
    const text = readHttpEvent({ ...binaryHeaders, 'content-type': 'text/plain' }, Buffer.from('hello'));
    const bytes = readHttpEvent({ ...binaryHeaders, 'content-type': 'application/octet-stream' }, Buffer.from([0, 1, 255]));

    // Assess
    assert.deepEqual(text.data, { text: 'hello' });
    assert.deepEqual(bytes.data, { base64: Buffer.from([0, 1, 255]).toString('base64') });
  });

  const refusals: { name: string; headers: Record<string, string>; body: string; message: RegExp }[] = [
    {
      name: 'a request that is no CloudEvent at all',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      message: /^not a CloudEvent: no ce-specversion header/,
    },
    {
      name: 'a binary event without ce-id',
      headers: { ...binaryHeaders, 'ce-id': '' },
      body: '{}',
      message: /^header ce-id: required attribute "id" is missing or empty$/,
    },
    {
      name: 'a binary event without ce-type',
      headers: Object.fromEntries(Object.entries(binaryHeaders).filter(([k]) => k !== 'ce-type')),
      body: '{}',
      message: /^header ce-type: required attribute "type"/,
    },
    {
      name: 'an unsupported spec version',
      headers: { ...binaryHeaders, 'ce-specversion': '0.2' },
      body: '{}',
      message: /^header ce-specversion: unsupported CloudEvents spec version "0.2"/,
    },
    {
      name: 'an attribute name with capitals',
      headers: { ...binaryHeaders, 'ce-Execution_Name': 'x' },
      body: '{}',
      message: /^header ce-execution_name: attribute names are lowercase letters and digits only$/,
    },
    {
      name: 'a time that is not RFC 3339',
      headers: { ...binaryHeaders, 'ce-time': 'yesterday' },
      body: '{}',
      message: /^header ce-time: "yesterday" is not an RFC 3339 timestamp$/,
    },
    {
      name: 'a structured body that is not JSON',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{',
      message: /^body: structured mode needs a JSON body$/,
    },
    {
      name: 'a structured event without source',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{"specversion":"1.0","id":"x","type":"t"}',
      message: /^source: required attribute "source"/,
    },
    {
      name: 'a batch',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: '[]',
      message: /^Content-Type: batched CloudEvents are not accepted/,
    },
  ];
  for (const { name, headers, body, message } of refusals) {
    it(`refuses ${name}, naming what is wrong`, () => {
      // Act
      const error = failure(headers, body);

      // Assess
      assert.match(error.message, message);
    });
  }
});

describe('writing CloudEvents to HTTP', () => {
  it('percent-encodes header values that HTTP cannot carry and decodes them back', () => {
    // Prepare
    const event: CloudEvent = { attributes: { specversion: '1.0', id: '1', source: '/tests', type: 't', subject: 'naïve "quoted" 100%' }, data: { json: {} } };

    // Act
    const message = toBinary(event);

    // Assess
    assert.equal(message.headers['ce-subject'], 'na%C3%AFve%20%22quoted%22%20100%25');
    assert.deepEqual(readHttpEvent(message.headers, message.body).attributes.subject, 'naïve "quoted" 100%');
  });

  const attributeName = fc
    .stringMatching(/^[a-z][a-z0-9]{0,9}$/)
    .filter((name) => !['specversion', 'id', 'source', 'type', 'datacontenttype', 'time', 'data'].includes(name));
  const arbitraryEvent = fc.record({
    id: fc.string({ minLength: 1, maxLength: 20 }),
    source: fc.webUrl(),
    type: fc.stringMatching(/^[a-z]+(\.[a-z]+){0,3}$/),
    extensions: fc.dictionary(attributeName, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    data: fc.jsonValue(),
  });

  it('round-trips any event through binary and structured mode unchanged', () => {
    fc.assert(
      fc.property(arbitraryEvent, ({ id, source, type, extensions, data }) => {
        // Prepare
        const event: CloudEvent = {
          attributes: { ...extensions, specversion: '1.0', id, source, type, datacontenttype: 'application/json' },
          data: { json: JSON.parse(JSON.stringify(data)) as unknown },
        };

        // Act
        const binary = toBinary(event);
        const structured = toStructuredMessage(event);

        // Assess
        assert.deepEqual(readHttpEvent(binary.headers, binary.body), event);
        assert.deepEqual(readHttpEvent(structured.headers, structured.body), event);
      }),
      { numRuns: 200 },
    );
  });
});
