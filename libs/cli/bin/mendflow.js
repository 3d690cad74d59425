#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS bin: it runs before anything is built, so it cannot be TypeScript */
// The `mendflow` command: runs the compiled CLI, or says how to build it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    `mendflow: the CLI is not built (${entry} is missing).\n` +
      'Run `npm install && npm run build` in the Mendflow checkout, then try again.\n',
  );
  process.exit(2);
}
require(entry);
