import { config } from 'zod';

// In a browser, zod must not probe for `new Function` (its fast path for object schemas): a strict
// Content-Security-Policy without 'unsafe-eval' (the dashboard's) reports the probe as a violation. This
// module is imported before any schema is built, since zod decides when a schema is constructed.
if ('window' in globalThis && 'document' in globalThis) config({ jitless: true });
