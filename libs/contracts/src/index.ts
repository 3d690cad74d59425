export * from './failure';
export * from './inbox';
export * from './run-error';
export * from './run-event-summary';
export * from './run-events';
export * from './run-lifecycle';
export * from './run-queue';
export * from './waits';
