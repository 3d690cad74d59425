import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditTrail } from './audit-trail.service';

/** The audit log: `GET /api/v1/audit`, and the AuditTrail every feature writes through. */
@Global()
@Module({ controllers: [AuditController], providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}
