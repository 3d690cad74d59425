export * from './failure';
export * from './inbox';
export * from './run-error';
export * from './run-event-summary';
export * from './run-events';
export * from './run-lifecycle';
export * from './run-queue';
export * from './waits';
export * from './repairs';
export * from './triggers';
export * from './script-language';
// Also in @mendflow/contracts/api; here because the bundle format and secret requests are read outside HTTP too.
export * from './api/bundles';
export * from './api/secret-requests';
export * from './retention';
