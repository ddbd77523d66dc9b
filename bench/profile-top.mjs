// Prints the functions with the most self time in a .cpuprofile: node bench/profile-top.mjs FILE [N]
import { readFileSync } from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, index) => {
  self.set(id, (self.get(id) ?? 0) + (deltas[index] ?? 0));
});
const byFrame = new Map();
let total = 0;
for (const [id, micros] of self) {
  const { callFrame } = byId.get(id);
  const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
  byFrame.set(key, (byFrame.get(key) ?? 0) + micros);
  total += micros;
}
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
for (const [key, micros] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${(micros / 1000).toFixed(1).padStart(9)} ms  ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${key}`);
}
