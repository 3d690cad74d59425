import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { ApiMetrics } from './metrics';
import { MetricsController, queueSourcesProvider } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: ApiMetrics, useValue: new ApiMetrics() },
    queueSourcesProvider,
    HttpMetricsMiddleware,
    MetricsTokenGuard,
  ],
  exports: [ApiMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
