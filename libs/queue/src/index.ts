export * from './jobs';
export * from './redis';
export * from './catalog';
export * from './trace-context';
