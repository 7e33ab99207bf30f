#!/usr/bin/env node
// Install step of the package: use a prebuilt addon for this platform when one ships in
// prebuilds/, otherwise build from source with cmake-js (offline: Node-API headers come from the
// node-api-headers package because package.json declares "binary.napi_versions").
// QINT8_BUILD_FROM_SOURCE=1 forces the source build.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');

function hasPrebuild() {
  if (process.env.QINT8_BUILD_FROM_SOURCE === '1') return false;
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.node'));
}

if (hasPrebuild()) {
  console.log('qint8: using the prebuilt addon in prebuilds/');
  process.exit(0);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--CDCMAKE_BUILD_TYPE=Release'];
if (process.env.CI || process.env.QINT8_QUIET_BUILD) args.push('--log-level', 'warn');
console.log('qint8: building the native addon from source (cmake-js)');
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
if (r.status !== 0) {
  console.error(
    'qint8: the native build failed. It needs cmake (>= 3.18) and a C++17 compiler (g++ or clang++).\n' +
      '  Debian/Ubuntu: apt-get install cmake g++\n' +
      '  Then run: npm rebuild qint8 (or, in a checkout, npm run build:native)',
  );
  process.exit(r.status ?? 1);
}
