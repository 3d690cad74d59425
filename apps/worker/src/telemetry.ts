import { startTelemetry } from '@mendflow/telemetry';

/**
 * Imported first by main.ts, so tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) is on before any
 * application module loads. A bad OTEL_* value stops the process here with the variable named.
 */
try {
  startTelemetry({ serviceName: 'mendflow-worker' });
} catch (error) {
  console.error(`OpenTelemetry: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
