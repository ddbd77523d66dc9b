/**
 * `drplan replay --since <duration> | --from-id <id>`: local stack only. Asks the running `drplan dev`
 * to re-deliver events from its durable event log to the triggers that match them now — what resetting
 * a Kafka broker's consumer offset does on a cluster. The functions are level-triggered, so a replay
 * re-drives what is unfinished and changes nothing that is done.
 *
 * The request: `POST <eventing>/_replay` with JSON `{ since?, fromId?, toId? }` (since: RFC 3339);
 * the answer: 200 `{ replayed: [{ seq, id, type, subject? }] }`, or 400 with the reason as text.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDuration } from '../../shared/api/duration.js';
import { ExitCode } from '../io.js';
import { CliError, kubeCommand, last, type CommandContext, type ParsedArgs } from '../kube.js';
import { table } from '../render/format.js';

const USAGE = `Usage: drplan replay --since DURATION | --from-id ID [--to-id ID] [--state-dir DIR] [--url URL]

Local stack only (drplan dev). Re-delivers events from the durable event log through the broker, to
the triggers that match them now — as resetting a Kafka broker's offset would on a cluster. Useful
after fixing a function that dead-lettered events. The functions are level-triggered: a replayed
event re-drives what is unfinished and changes nothing that is done.

  --since DURATION   the events accepted in the last DURATION (Go syntax: 90s, 10m, 1h30m)
  --from-id ID       the events from the one with this CloudEvent id on (drplan dev --verbose and
                     the event log <state-dir>/eventing/events.jsonl show ids)
  --to-id ID         with --from-id: up to this event (inclusive)
  --state-dir DIR    the state folder of drplan dev (default .drplan); its eventing/ingress-url file
                     says where the running eventing listens
  --url URL          the eventing's address instead (the broker URL drplan dev prints)`;

interface Replayed {
  seq?: number;
  id?: string;
  type?: string;
  subject?: string;
}

const REPLAY_PATH = '/_replay';

function rangeOf(parsed: ParsedArgs, now: Date): Record<string, string> {
  const since = last(parsed, '--since');
  const fromId = last(parsed, '--from-id');
  const toId = last(parsed, '--to-id');
  if ((since === undefined) === (fromId === undefined)) throw new CliError('give --since DURATION or --from-id ID (one of them)', ExitCode.usage);
  if (toId !== undefined && fromId === undefined) throw new CliError('--to-id needs --from-id', ExitCode.usage);
  if (since === undefined) return { fromId: fromId ?? '', ...(toId === undefined ? {} : { toId }) };
  const ms = parseDuration(since);
  if (ms === undefined) throw new CliError(`--since must be a duration such as 90s, 10m or 1h30m, not "${since}"`, ExitCode.usage);
  return { since: new Date(now.getTime() - ms).toISOString() };
}

/** Where the running eventing listens: `--url`, else the file `drplan dev` leaves in its state folder. */
async function eventingUrl(parsed: ParsedArgs, cwd: string): Promise<string> {
  const given = last(parsed, '--url');
  if (given !== undefined) return new URL(given).origin;
  const file = join(resolve(cwd, last(parsed, '--state-dir') ?? '.drplan'), 'eventing', 'ingress-url');
  try {
    return new URL((await readFile(file, 'utf8')).trim()).origin;
  } catch (error: unknown) {
    throw new CliError(
      `cannot tell where the local eventing listens: ${file} cannot be read (is drplan dev running with this --state-dir?); pass --url <the broker URL drplan dev printed>`,
      ExitCode.failed,
      { cause: error },
    );
  }
}

async function post(url: string, range: Record<string, string>): Promise<Replayed[]> {
  let response: Response;
  try {
    response = await fetch(`${url}${REPLAY_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(range) });
  } catch (error: unknown) {
    throw new CliError(
      `no local eventing answers at ${url} (is drplan dev running?): ${error instanceof Error ? error.message : String(error)}`,
      ExitCode.failed,
      { cause: error },
    );
  }
  const text = await response.text();
  if (response.status === 404 || response.status === 405)
    throw new CliError(`the eventing at ${url} has no replay endpoint (POST ${REPLAY_PATH}); is it drplan dev?`);
  if (!response.ok) throw new CliError(`the eventing refused the replay (${response.status}): ${text.trim()}`);
  const body = JSON.parse(text) as { replayed?: Replayed[] };
  return body.replayed ?? [];
}

async function run({ parsed, io }: CommandContext): Promise<number> {
  const range = rangeOf(parsed, new Date());
  const url = await eventingUrl(parsed, io.cwd);
  const replayed = await post(url, range);
  if (replayed.length === 0) {
    io.stdout.write('no events in that range; nothing replayed\n');
    return ExitCode.ok;
  }
  io.stdout.write(`replayed ${replayed.length} event${replayed.length === 1 ? '' : 's'}:\n`);
  const rows = replayed.map((event) => [String(event.seq ?? ''), event.id ?? '', event.type ?? '', event.subject ?? '']);
  io.stdout.write(`${table([['SEQ', 'ID', 'TYPE', 'SUBJECT'], ...rows]).join('\n')}\n`);
  return ExitCode.ok;
}

export const replay = kubeCommand({
  name: 'replay',
  summary: 'local stack only: re-deliver logged events (--since 10m, --from-id ID)',
  usage: USAGE,
  flags: { values: ['--since', '--from-id', '--to-id', '--state-dir', '--url'] },
  positionals: [0, 0],
  run,
});
