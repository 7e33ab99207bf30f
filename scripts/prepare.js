#!/usr/bin/env node
// Runs after `npm install` / `npm ci` in a checkout of this repository (npm's prepare step; it does
// not run when qint8 is installed as a dependency from the registry): the README's main job on
// its bundled default. QINT8_SKIP_DEMO=1 skips it.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

if (process.env.QINT8_SKIP_DEMO === '1') process.exit(0);
const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'dist', 'cli', 'index.js'))) process.exit(0);
console.log('\nqint8: running the demo (npm run demo; QINT8_SKIP_DEMO=1 skips this)\n');
const { main } = require(path.join(root, 'dist', 'cli', 'index.js'));
process.exitCode = main(['demo']);
