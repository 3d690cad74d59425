import { subscribe } from 'node:diagnostics_channel';
import { Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { attachFrontDoor, parseTrust } from './front-door.mts';

/**
 * Loaded ahead of Next.js (`node --import ./front-door/preload.mts`, see the web's start script and the
 * Docker image): attaches the front door to each HTTP server the process starts listening, which is
 * the one `next start` or the standalone server.js creates. Node runs this TypeScript file as it is
 * (type stripping), so the image needs no build step for it.
 */
const trust = parseTrust(process.env.WEB_TRUST_PROXY);

subscribe('tracing:net.server.listen:asyncStart', (message) => {
  const { server } = message as { server: unknown };
  if (server instanceof Server || server instanceof HttpsServer) attachFrontDoor(server as Server, trust);
});
