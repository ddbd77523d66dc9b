// A node:test reporter that writes one JSON line per finished test: its name, file, and whether it
// passed, failed, was cancelled or was skipped (with the reason). Suites are left out, except a
// skipped one: node's own counts say "skipped 0" for a skipped describe, whose tests never start.
// test/run.mjs reads the lines after the run to print the skipped tests and the closing counts.
const flagged = (value) => value !== undefined && value !== false;

function outcomeOf(event) {
  const { data } = event;
  if (flagged(data.skip)) return 'skipped';
  if (flagged(data.todo)) return 'todo';
  if (event.type === 'test:pass') return 'passed';
  return data.details?.error?.failureType === 'cancelledByParent' ? 'cancelled' : 'failed';
}

export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite' && !flagged(data.skip)) continue;
    const reason = typeof data.skip === 'string' ? data.skip : undefined;
    yield `${JSON.stringify({ name: data.name, file: data.file, outcome: outcomeOf(event), reason })}\n`;
  }
}
