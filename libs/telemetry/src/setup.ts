/**
 * Starts OpenTelemetry tracing for one process, or nothing at all. Tracing is on only when an OTLP
 * endpoint is configured (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT); without
 * one no SDK is loaded and @opentelemetry/api stays its no-op self, so every span Mendflow opens costs
 * a few allocations and nothing is sent anywhere.
 *
 * When on: a tracer provider with a batch span processor and the OTLP/HTTP (JSON) exporter, the W3C
 * trace-context and baggage propagators, and an AsyncLocalStorage context manager, so the active span
 * follows async work. The exporter and the batch processor read the standard OTEL_* variables
 * themselves (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT …); the SDK of this major no longer
 * reads OTEL_BSP_* and OTEL_TRACES_SAMPLER, so env.ts does; OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES name the process.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { createSampler, readTracingEnv } from './env';

export interface TelemetryOptions {
  /** service.name when OTEL_SERVICE_NAME is not set (mendflow-api, mendflow-worker). */
  serviceName: string;
}

export interface TelemetryHandle {
  readonly enabled: boolean;
  /** Exports what is still buffered, then stops; safe to call twice. */
  shutdown(): Promise<void>;
}

let current: TelemetryHandle | undefined;

/** Whether an OTLP endpoint is configured and the SDK is not switched off (OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none). */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  if (!exporters.includes('otlp')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** True once startTelemetry turned tracing on in this process. */
export function telemetryEnabled(): boolean {
  return current?.enabled === true;
}

/**
 * Call first thing in a process's entry point, before the application's modules are loaded, and once:
 * a second call returns the first handle.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (current) return current;
  // process.env, not a copy: the exporter reads its own OTEL_EXPORTER_OTLP_* variables from there.
  const env = process.env;
  if (!tracingConfigured(env)) {
    current = { enabled: false, shutdown: async () => undefined };
    return current;
  }
  // Loaded only when tracing is on: a process without an endpoint never loads the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AsyncLocalStorageContextManager } =
    require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } =
    require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { defaultResource, envDetector, detectResources, resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { TracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const settings = readTracingEnv(env);
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || options.serviceName;
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': serviceName }));
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression) itself.
  const exporter = new OTLPTraceExporter();
  const provider = new TracerProvider({
    resource,
    sampler: createSampler(settings.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...settings.batch })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  let stopping: Promise<void> | undefined;
  current = {
    enabled: true,
    shutdown: () =>
      (stopping ??= provider.shutdown().catch((error: unknown) => {
        // The collector being away at shutdown must not turn a clean exit into a crash.
        process.emitWarning(`OpenTelemetry: spans not flushed at shutdown (${String(error)})`);
      })),
  };
  return current;
}

/** Flushes and stops the tracing startTelemetry started (nothing when it was off). */
export function shutdownTelemetry(): Promise<void> {
  return current?.shutdown() ?? Promise.resolve();
}

/**
 * Duck-typed Nest lifecycle hook (no Nest dependency here): registered as a provider, it flushes the
 * spans when the application closes, after the hooks of the modules it imports.
 */
export class TelemetryShutdownHook {
  onApplicationShutdown(): Promise<void> {
    return shutdownTelemetry();
  }
}
