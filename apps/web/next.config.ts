import path from 'node:path';
import type { NextConfig } from 'next';
import { STATIC_SECURITY_HEADERS } from './lib/security-headers';

// npm workspaces: dependencies are hoisted to the repository root.
const repoRoot = path.join(__dirname, '..', '..');

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The API is reached through proxy.ts (same origin: /api/* and /socket.io/*), whose target comes from
  // API_URL at run time; nothing about the API's address is baked into the build. Socket.IO's paths end
  // in a slash (/socket.io/?EIO=4…), so neither redirect nor normalize trailing slashes before the proxy.
  skipTrailingSlashRedirect: true,
  skipProxyUrlNormalize: true,
  // The container image runs the self-contained server that `output: 'standalone'` produces; a plain
  // `next build` / `next start` (npm run build / start:web) keeps the regular output.
  output: process.env.MENDFLOW_WEB_STANDALONE === '1' ? 'standalone' : undefined,
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  // nosniff, Referrer-Policy, no framing… on the web server's own answers (pages also get their CSP in
  // proxy.ts); the API's answers, proxied under /api and /socket.io, keep the API's own headers.
  async headers() {
    return [{ source: '/((?!api(?:/|$)|socket\\.io(?:/|$)).*)', headers: STATIC_SECURITY_HEADERS }];
  },
};

export default nextConfig;
