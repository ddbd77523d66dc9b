#!/usr/bin/env node
// Turns drplan's notification CloudEvents into messages for a Slack-compatible incoming webhook
// (Slack, Mattermost, Rocket.Chat take {"text": "..."}). Plain Node.js, no dependencies: run it as a
// Knative Service (any Node image, `node slack-adapter.mjs`, env SLACK_WEBHOOK_URL) and point the
// Triggers of triggers.yaml at it. It takes CloudEvents in binary mode (ce-* headers, as a Broker
// delivers them) and in structured mode (application/cloudevents+json), and answers 202 once the
// webhook took the message (a 502 otherwise, so the Broker retries).
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const PREFIX = 'com.tencent.bkbcs.dr.';

const MESSAGES = {
  'action.failed': (run, data) => `:x: ${run}: action ${data.path} failed — ${data.message}`,
  'execution.finished': (run, data) =>
    `${data.phase === 'Succeeded' ? ':white_check_mark:' : ':warning:'} ${run} ${data.phase}${data.message ? ` — ${data.message}` : ''}`,
  'execution.paused': (run, data) => `:pause_button: ${run} paused — ${data.message}`,
  'execution.resumed': (run) => `:arrow_forward: ${run} resumed`,
};

/** "Execute shop/run-1 of plan shop-failover": which run a notification is about. */
function runOf(data) {
  const execution = data.execution ? `${data.execution.namespace}/${data.execution.name}` : '(unknown execution)';
  return `${data.operationType ?? 'Execution'} ${execution} of plan ${data.plan ?? '?'}`;
}

/** The message for one notification, or undefined for an event that is not one. */
export function messageOf(type, data) {
  const message = typeof type === 'string' && type.startsWith(PREFIX) ? MESSAGES[type.slice(PREFIX.length)] : undefined;
  return message === undefined ? undefined : message(runOf(data ?? {}), data ?? {});
}

/** The CloudEvent of a request: its type and data, in binary or structured mode. */
function eventOf(headers, body) {
  const parsed = body === '' ? undefined : JSON.parse(body);
  if (String(headers['content-type'] ?? '').startsWith('application/cloudevents+json')) return { type: parsed?.type, data: parsed?.data };
  return { type: headers['ce-type'], data: parsed };
}

export function createSlackAdapter({ webhookUrl, post = fetch } = {}) {
  return createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', async () => {
      let event;
      try {
        event = eventOf(request.headers, Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end('not a CloudEvent with a JSON body');
        return;
      }
      const text = messageOf(event.type, event.data);
      if (text === undefined) {
        response.writeHead(202).end();
        return;
      }
      try {
        const sent = await post(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
        response.writeHead(sent.ok ? 202 : 502).end();
      } catch {
        response.writeHead(502).end();
      }
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const webhookUrl = process.env.SLACK_WEBHOOK_URL;
  if (webhookUrl === undefined || webhookUrl === '') {
    console.error('SLACK_WEBHOOK_URL is required');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 8080);
  createSlackAdapter({ webhookUrl }).listen(port, () => console.log(`slack adapter on :${port}`));
}
