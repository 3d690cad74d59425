// Speed of the script linter (libs/lint), which runs on every create, new version and POST /lint:
// the docs' example script linted repeatedly with one warm Linter, and a maximum-size (256 KiB) script.
// `npm run bench:lint` builds the lib first.
import lintLib from '../libs/lint/dist/index.js';

const { lintScript } = lintLib;
const manifest = {
  permissions: { hosts: ['crm.example.com', '*.chat.example.com'], secrets: ['CRM_TOKEN'] },
};
const example = `
export default async function run(input, ctx) {
  const token = await ctx.secrets.get('CRM_TOKEN');
  const res = await ctx.fetch('https://crm.example.com/api/leads', { headers: { authorization: \`Bearer \${token}\` } });
  if (!res.ok) throw new Error(\`crm answered \${res.status}\`);
  const leads = await res.json();
  const sent = await ctx.step('notify', async () => {
    await ctx.fetch('https://hooks.chat.example.com/hook', { method: 'POST', body: JSON.stringify({ n: leads.length }) });
    return leads.length;
  });
  ctx.log.info('notified', { sent });
  return { sent };
}
`;

for (let i = 0; i < 100; i++) lintScript(example, manifest);
const runs = 1000;
const times = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  lintScript(example, manifest);
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const at = (p) => times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))].toFixed(3);
console.log(
  `example script: p50 ${at(50)} ms, p90 ${at(90)} ms, p99 ${at(99)} ms per lint (${runs} lints, warm)`,
);

let big = '';
for (let i = 0; big.length < 250_000; i++) {
  big += `async function step${i}(ctx, input) {\n  const r = await ctx.fetch(\`https://crm.example.com/api/\${input.id}/${i}\`);\n  return { i: ${i}, ok: r.ok };\n}\n`;
}
big += 'export default async function run(input, ctx) {\n  return step0(ctx, input);\n}\n';
const started = performance.now();
const result = lintScript(big, manifest);
console.log(
  `${(big.length / 1024).toFixed(0)} KiB script: ${(performance.now() - started).toFixed(1)} ms, ${result.diagnostics.length} diagnostics`,
);
