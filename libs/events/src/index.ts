export * from './contract';
export * from './publisher';
