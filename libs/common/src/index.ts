export * from './errors';
export * from './validation';
export * from './manifest';
export * from './runs';
export * from './requests';
export * from './secret-box';
export * from './env';
export * from './host-patterns';
