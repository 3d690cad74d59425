export * from './cron-times';
export * from './tick-decision';
export * from './schedule-sync';
export * from './triggers.module';
