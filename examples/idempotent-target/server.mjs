#!/usr/bin/env node
// An HTTP endpoint that a drplan HTTP action may retry safely: it applies each request's effect once,
// however many times the request arrives. drplan sends every attempt of an action with the header
//   Idempotency-Key: <execution uid>/<action path>/<attempt>
// and keeps the same key for every repeat of a request whose outcome it does not know (a timeout, a lost
// connection, a run-action that died); a new key only after a definite answer (a 5xx or 429 this
// server returned). So the rule here is the one payment APIs use (and the IETF draft
// "The Idempotency-Key HTTP Header Field"):
//   - first request with a key: process it, keep the answer under the key;
//   - the same key again, first one finished: send the kept answer, apply nothing;
//   - the same key again, first one still being processed: 409 (drplan pauses and asks again);
//   - the same key with a different request (method, path or body): 422;
//   - a 5xx answer is not kept: nothing was applied, and the key may be tried again.
// Keys are kept in memory here; a real service keeps them where its effect is stored, in the same
// transaction, for at least as long as an execution can run (a day is plenty).
//
// Run:  node examples/idempotent-target/server.mjs [port]     (PROMOTE_DELAY_MS slows the effect down)
// Try:  curl -si -X POST -H 'Idempotency-Key: k1' localhost:8080/promote   (twice: one promotion)
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Creates the server; `state.promotions` counts the effects applied. */
export function createIdempotentTarget({ promoteDelayMs = 0 } = {}) {
  const state = { promotions: 0, primary: 'site-a' };
  /** key → { fingerprint, reply?: { status, body } } */
  const keys = new Map();

  /** The effect: runs once per key. */
  async function promote() {
    await new Promise((resolve) => setTimeout(resolve, promoteDelayMs));
    state.promotions += 1;
    state.primary = 'site-b';
    return { status: 200, body: { promoted: true, primary: state.primary } };
  }

  /** What the key says of this request: an answer to give now, or undefined to process it. */
  function decide(key, fingerprint) {
    const seen = keys.get(key);
    if (seen === undefined) return undefined;
    if (seen.fingerprint !== fingerprint) return { status: 422, body: { error: 'this Idempotency-Key was used for another request' } };
    return seen.reply ?? { status: 409, body: { error: 'a request with this Idempotency-Key is still being processed' } };
  }

  async function handle(request, body) {
    if (request.method === 'GET' && request.url === '/state') return { status: 200, body: state };
    if (request.method !== 'POST' || request.url !== '/promote') return { status: 404, body: { error: 'try POST /promote or GET /state' } };
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return { status: 400, body: { error: 'an Idempotency-Key header is required' } };
    const fingerprint = createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
    const decided = decide(key, fingerprint);
    if (decided !== undefined) return decided;
    const entry = { fingerprint };
    keys.set(key, entry);
    try {
      entry.reply = await promote();
      return entry.reply;
    } catch (error) {
      keys.delete(key); // nothing applied: the same key may try again
      return { status: 500, body: { error: String(error) } };
    }
  }

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      // the effect goes on when the caller has given up waiting: that is why its repeat must not apply it again
      void handle(request, Buffer.concat(chunks).toString('utf8')).then(({ status, body }) => {
        if (response.destroyed) return;
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
  });
  return { server, state };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.argv[2] ?? 8080);
  const { server } = createIdempotentTarget({ promoteDelayMs: Number(process.env.PROMOTE_DELAY_MS ?? 0) });
  server.listen(port, () => {
    console.log(`idempotent target on http://localhost:${port} (POST /promote, GET /state)`);
  });
}
