import { describe, expect, it } from 'vitest';
import { readTracingEnv } from './env';
import { tracingConfigured } from './setup';

describe('tracingConfigured', () => {
  it('is on only with an OTLP endpoint, and off when the SDK or the otlp exporter is switched off', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingConfigured({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingConfigured({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingConfigured({ ...endpoint, OTEL_TRACES_EXPORTER: 'console,otlp' })).toBe(true);
  });
});

describe('readTracingEnv', () => {
  it('defaults to parentbased_always_on and the batch processor defaults', () => {
    expect(readTracingEnv({})).toEqual({ sampler: { name: 'parentbased_always_on', ratio: 1 }, batch: {} });
  });

  it('reads OTEL_BSP_* and the sampler with its ratio', () => {
    expect(
      readTracingEnv({
        OTEL_BSP_SCHEDULE_DELAY: '0',
        OTEL_BSP_EXPORT_TIMEOUT: '5000',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      batch: {
        scheduledDelayMillis: 0,
        exportTimeoutMillis: 5000,
        maxQueueSize: 100,
        maxExportBatchSize: 10,
      },
    });
  });

  it('refuses a set but invalid value, naming the variable', () => {
    expect(() => readTracingEnv({ OTEL_BSP_SCHEDULE_DELAY: 'soon' })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
    expect(() => readTracingEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '0' })).toThrow(/OTEL_BSP_MAX_QUEUE_SIZE/);
    expect(() => readTracingEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER must/);
    expect(() =>
      readTracingEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});
