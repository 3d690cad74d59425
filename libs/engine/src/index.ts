export * from './run-engine';
export * from './engine.module';
export * from './events';
