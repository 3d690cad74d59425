export * from './client';
export * from './ctx';
export * from './watch';
export type { components, operations, paths } from './openapi';
