export * from './channels';
export * from './message';
export * from './scrub';
export * from './senders';
export * from './signature';
