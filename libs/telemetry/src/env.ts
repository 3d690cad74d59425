/**
 * The standard OTEL_* variables this major of the trace SDK leaves to its caller: the batch span
 * processor's (OTEL_BSP_*) and the sampler's (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG). A value
 * that is set but invalid stops the process at start with the variable named, instead of being
 * ignored.
 */
import type { Sampler } from '@opentelemetry/sdk-trace';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface TracingEnv {
  sampler: { name: SamplerName; ratio: number };
  batch: {
    scheduledDelayMillis?: number;
    exportTimeoutMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
  };
}

const BATCH_VARIABLES = {
  scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT',
  maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
} as const;

export function readTracingEnv(env: NodeJS.ProcessEnv): TracingEnv {
  const batch: TracingEnv['batch'] = {};
  for (const [option, variable] of Object.entries(BATCH_VARIABLES) as [keyof TracingEnv['batch'], string][]) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    // A delay of 0 is allowed (export as soon as possible); sizes need at least one span.
    const min = option === 'scheduledDelayMillis' ? 0 : 1;
    if (!Number.isInteger(value) || value < min)
      throw new Error(`${variable} must be an integer of at least ${min}, not "${raw}"`);
    batch[option] = value;
  }
  const rawName = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(rawName))
    throw new Error(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, not "${rawName}"`);
  const name = rawName as SamplerName;
  let ratio = 1;
  const rawArg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (name.endsWith('traceidratio') && rawArg) {
    ratio = Number(rawArg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
      throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, not "${rawArg}"`);
  }
  return { sampler: { name, ratio }, batch };
}

/** The sampler a TracingEnv names (loads the SDK: call only when tracing is on). */
export function createSampler({ name, ratio }: TracingEnv['sampler']): Sampler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const root =
    name === 'always_off' || name === 'parentbased_always_off'
      ? new sdk.AlwaysOffSampler()
      : name === 'traceidratio' || name === 'parentbased_traceidratio'
        ? new sdk.TraceIdRatioBasedSampler(ratio)
        : new sdk.AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
}
