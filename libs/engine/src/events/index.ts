export * from './event-chain';
export * from './event-router';
