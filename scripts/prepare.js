#!/usr/bin/env node
// Runs after `npm install` / `npm ci` in a checkout of this repository (npm's prepare step; it does
// not run when qint8 is installed as a dependency from the registry): says how to run the README's
// main job. QINT8_SKIP_DEMO=1 silences it.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

if (process.env.QINT8_SKIP_DEMO === '1') process.exit(0);
const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'dist', 'cli', 'index.js'))) process.exit(0);
console.log(
  '\nqint8 is built. The main job: npm run demo (quantizes the bundled Fashion-MNIST CNN with every' +
    '\ncalibration method, then prints accuracy and latency, float vs int8; about a minute).' +
    '\nKernel report: npx qint8 kernels. Command line: npx qint8 help\n',
);
