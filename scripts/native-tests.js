#!/usr/bin/env node
// Builds and runs the C++ kernel tests (native/test): every ISA tier this CPU has against the
// scalar reference. --sanitize builds them with AddressSanitizer + UndefinedBehaviorSanitizer.
// Extra arguments after -- go to the test binary (a name filter).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const sanitize = process.argv.includes('--sanitize');
const passthrough = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const dir = path.join(root, 'build', sanitize ? 'native-tests-asan' : 'native-tests');
const jobs = String(require('node:os').availableParallelism());

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) {
    console.error(`${cmd}: ${r.error.message}${r.error.code === 'ENOENT' ? ' (is cmake installed? apt-get install cmake g++)' : ''}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const configure = ['-S', '.', '-B', dir, '-DQINT8_BUILD_TESTS=ON', '-DQINT8_BUILD_ADDON=OFF'];
configure.push(sanitize ? '-DCMAKE_BUILD_TYPE=RelWithDebInfo' : '-DCMAKE_BUILD_TYPE=Release');
if (sanitize) configure.push('-DQINT8_SANITIZE=ON');
run('cmake', [...configure, '--log-level=WARNING']);
run('cmake', ['--build', dir, '-j', jobs]);
const env = { ...process.env };
if (sanitize) {
  env.ASAN_OPTIONS = 'detect_leaks=1:abort_on_error=1:strict_string_checks=1';
  env.UBSAN_OPTIONS = 'print_stacktrace=1:halt_on_error=1';
}
run(path.join(dir, 'qint8_tests'), passthrough, env);
