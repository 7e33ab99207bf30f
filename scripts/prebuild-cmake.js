#!/usr/bin/env node
// Stands in for node-gyp when prebuildify runs (`npm run prebuild`): prebuildify calls
// `<node-gyp> rebuild --target=... --arch=... --release|--debug`; we build the same addon with
// cmake-js (Node-API, so one binary serves every Node version) into build/Release, where
// prebuildify picks it up and copies it to prebuilds/<platform>-<arch>/.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const debug = args.includes('--debug');
const archArg = args.find((a) => a.startsWith('--arch='));
const cmakeArgs = [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', `--CDCMAKE_BUILD_TYPE=${debug ? 'Debug' : 'Release'}`];
if (debug) cmakeArgs.push('--debug');
if (archArg) cmakeArgs.push('--arch', archArg.slice('--arch='.length));
const r = spawnSync(process.execPath, cmakeArgs, { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' });
process.exit(r.status ?? 1);
