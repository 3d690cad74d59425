export * from './setup';
export * from './spans';
export * from './job-context';
