// Micro-benchmark (not a test): what Mendflow's span helpers cost per call with tracing off (no
// OTLP endpoint: @opentelemetry/api's no-ops) and on (SDK started, batch export to a local receiver),
// next to the plain call they wrap. Prints ns per operation and the total for the spans of one trivial
// run (run.create, publish runs, 3 × publish run.event, process runs, run.attempt, one inject, one extract).
//   npm run bench:tracing
import { createServer } from 'node:http';
import { once } from 'node:events';
import telemetry from '../libs/telemetry/dist/index.js';

const { extractTraceContext, injectTraceContext, inSpan, startTelemetry, shutdownTelemetry, tracer } =
  telemetry;
const N = Number(process.env.BENCH_TRACING_N ?? 200_000);
const attributes = {
  'mendflow.workspace.id': '00000000-0000-4000-8000-000000000001',
  'mendflow.automation.id': '00000000-0000-4000-8000-000000000002',
  'mendflow.run.id': '00000000-0000-4000-8000-000000000003',
  'mendflow.run.attempt': 1,
};
const work = async () => 1;
const carrier = { traceparent: `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01` };

async function measure(label, op) {
  for (let i = 0; i < N / 10; i++) await op(); // warm-up
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await op();
    runs.push(Number(process.hrtime.bigint() - start) / N);
  }
  runs.sort((a, b) => a - b);
  return { label, ns: runs[2] };
}

async function suite(mode) {
  const results = [
    await measure('plain await of the wrapped function', () => work()),
    await measure('inSpan(name, { attributes }, fn)', () => inSpan('run.attempt', { attributes }, work)),
    await measure('startSpan + end (publish run.event)', () =>
      tracer.startSpan('publish run.event', { attributes }).end(),
    ),
    await measure('injectTraceContext()', () => injectTraceContext()),
    await measure('extractTraceContext(carrier)', () => extractTraceContext(carrier)),
  ];
  const ns = Object.fromEntries(results.map((r) => [r.label, r.ns]));
  const plain = ns['plain await of the wrapped function'];
  const spanOverhead = ns['inSpan(name, { attributes }, fn)'] - plain;
  const perRun =
    4 * spanOverhead +
    3 * ns['startSpan + end (publish run.event)'] +
    ns['injectTraceContext()'] +
    ns['extractTraceContext(carrier)'];
  console.log(`\ntracing ${mode} (${N} operations, median of 5)`);
  for (const r of results) console.log(`  ${r.label.padEnd(40)} ${r.ns.toFixed(0).padStart(7)} ns`);
  console.log(
    `  ${'spans of one trivial run, added'.padEnd(40)} ${(perRun / 1000).toFixed(2).padStart(7)} µs`,
  );
}

await suite('off');

// On: a receiver that accepts and drops, so the batch exporter has somewhere to send.
const receiver = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end('{}'));
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${receiver.address().port}`;
startTelemetry({ serviceName: 'bench' });
await suite('on');
await shutdownTelemetry();
receiver.close();
