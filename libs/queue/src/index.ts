export * from './jobs';
export * from './redis';
export * from './catalog';
export * from './scheduler-keeper';
export * from './trace-context';
