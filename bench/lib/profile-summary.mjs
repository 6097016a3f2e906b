// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by file: self time per script URL,
// biggest first. Usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [TOP]
import fs from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
const dts = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const node = byId.get(prof.samples[i]);
  const url = node.callFrame.url || `(${node.callFrame.functionName || 'native'})`;
  selfUs.set(url, (selfUs.get(url) ?? 0) + (dts[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
const out = {
  total_ms: Math.round(total / 100) / 10,
  by_file: rows.map(([url, us]) => ({ file: url.replace(/^file:\/\/.*?\/(node_modules|dist|bin)\//, '$1/'), ms: Math.round(us / 100) / 10 })),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
