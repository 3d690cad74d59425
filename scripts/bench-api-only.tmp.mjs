import { startStack } from '../e2e/support/stack.ts';
import { apiClient } from '../e2e/support/client.ts';
import { cpuBetween, sampleCpu } from './process-cpu.mjs';
const stack = await startStack('apionly', { redisDb: 10, worker: false, apiEnv: { LOG_LEVEL: process.env.LL ?? 'info', ...(process.env.API_EXTRA ? JSON.parse(process.env.API_EXTRA) : {}) } });
const api = apiClient(stack.apiUrl);
try {
  const created = await api('POST', '/api/v1/automations', { name: 'x', source: 'export default async (i) => i.x + 1;' });
  const path = `/api/v1/automations/${created.body.id}/runs`;
  for (let i = 0; i < 300; i++) await api('POST', path, { input: { x: i } });
  const N = 3000; let next = 0;
  const before = sampleCpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => { while (next < N) { next++; const r = await api('POST', path, { input: { x: 1 } }); if (r.status !== 202) throw new Error(r.status); } }));
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(before, sampleCpu());
  console.log(`${(N / s).toFixed(0)} req/s; api CPU per POST ${(cpu.api / N).toFixed(3)} ms; redis ${(cpu.redis / N).toFixed(3)}; client ${(cpu['bench client'] / N).toFixed(3)}`);
} finally { await stack.stop(); }
