/** Response schemas of the HTTP API: the served OpenAPI document and the API's views are built from them. */
export * from './api-keys';
export * from './audit';
export * from './automations';
export * from './common';
export * from './errors';
export * from './events';
export * from './inbox';
export * from './lint';
export * from './notifications';
export * from './repairs';
export * from './runs';
export * from './secrets';
export * from './session';
export * from './stats';
export * from './teams';
export * from './triggers';
export * from './webhooks';
