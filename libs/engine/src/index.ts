export * from './run-engine';
export * from './engine.module';
