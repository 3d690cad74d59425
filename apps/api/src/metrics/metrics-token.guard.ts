import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@mendflow/common';
import type { Request, Response } from 'express';
import { secretsEqual } from '../auth/credentials';
import { API_CONFIG, type ApiConfig } from '../config/api-config';

/**
 * /metrics counts runs and inbox items across every workspace, so it is no public page: a scraper
 * presents `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: `authorization: { credentials: … }`).
 * - METRICS_TOKEN unset: /metrics is off, 404 METRICS_DISABLED (nothing to guess at);
 * - token missing or wrong: 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.METRICS_TOKEN;
    if (!expected) {
      throw new DomainError(
        'METRICS_DISABLED',
        'not_found',
        '/metrics is off: set METRICS_TOKEN to serve it',
      );
    }
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match?.[1] && secretsEqual(match[1], expected)) return true;
    http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    throw new DomainError(
      'UNAUTHENTICATED',
      'unauthenticated',
      'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>',
    );
  }
}
