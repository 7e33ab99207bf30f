#!/usr/bin/env node
// ARM (linux-arm64) build and kernel tests, on an x86-64 machine:
//   1. cross-builds the C++ kernel tests as a static aarch64 binary (Debian g++-aarch64-linux-gnu,
//      cmake/aarch64-linux-gnu.cmake) and runs them under qemu-aarch64 once per kernel tier, each on
//      a CPU model that has exactly that tier as its best one:
//        -cpu cortex-a53 -> neon      (armv8.0: no dot product)
//        -cpu cortex-a76 -> neondot   (sdot/udot, no i8mm)
//        -cpu max        -> i8mm      (every feature qemu emulates, i8mm included)
//      Every run compares each tier the model supports against the scalar reference (the test
//      binary prints the tiers and the comparison counts per family and tier), with QINT8_ISA set
//      to the model's top tier (the override) and QINT8_TEST_EXPECT_BEST making detection itself
//      part of the test; the run fails unless every op family was compared on the tier, with the
//      kernels the tier is meant to run (expectedLabels below).
//      One more run asks cortex-a53 for i8mm and checks that the override is refused, not obeyed.
//   2. cross-builds the full addon (qint8.node, aarch64) against the node-api-headers package and
//      checks that it is an aarch64 shared object whose only undefined napi_* symbols are
//      Node-API's (resolved by node at load time).
//   --sanitize instead builds the kernel tests with AddressSanitizer + UndefinedBehaviorSanitizer
//      (dynamically linked against the cross sysroot) and runs them once under -cpu max, which
//      exercises every tier (LeakSanitizer is off: it cannot stop the world under qemu-user; the
//      x86 sanitizer run covers leaks in the shared code, and the kernels do not allocate).
// Options: --tests-only, --addon-only; arguments after -- go to the test binary (a name filter).
// Needs: apt-get install g++-aarch64-linux-gnu qemu-user cmake
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const passthrough = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];
const testsOnly = args.includes('--tests-only');
const addonOnly = args.includes('--addon-only');
const jobs = String(os.availableParallelism());
const toolchain = path.join(root, 'cmake', 'aarch64-linux-gnu.cmake');
const qemu = process.env.QINT8_QEMU || 'qemu-aarch64';

function fail(msg) {
  console.error(`arm-tests: ${msg}`);
  process.exit(1);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: opts.env ?? process.env, encoding: 'utf8' });
  if (r.error) {
    fail(`${cmd}: ${r.error.message}${r.error.code === 'ENOENT' ? ' (apt-get install g++-aarch64-linux-gnu qemu-user cmake)' : ''}`);
  }
  if (!opts.allowFail && r.status !== 0) {
    if (opts.capture) process.stdout.write(r.stdout + r.stderr);
    fail(`${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
  }
  return r;
}

function crossBuild(dir, defs, target) {
  run('cmake', ['-S', '.', '-B', dir, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_BUILD_TYPE=Release', ...defs, '--log-level=WARNING']);
  run('cmake', ['--build', dir, '-j', jobs, '--target', target]);
}

for (const tool of ['aarch64-linux-gnu-g++', ...(addonOnly ? [] : [qemu])]) {
  const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
  if (r.error) fail(`${tool} not found (apt-get install g++-aarch64-linux-gnu qemu-user)`);
}

const sanitize = args.includes('--sanitize');
if (sanitize) {
  const dir = path.join(root, 'build', 'arm64-asan');
  run('cmake', ['-S', '.', '-B', dir, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
    '-DQINT8_BUILD_TESTS=ON', '-DQINT8_BUILD_ADDON=OFF', '-DQINT8_SANITIZE=ON', '--log-level=WARNING']);
  run('cmake', ['--build', dir, '-j', jobs, '--target', 'qint8_tests']);
  console.log('\n== qemu-aarch64 -cpu max, AddressSanitizer + UndefinedBehaviorSanitizer (every tier)');
  const env = {
    ...process.env,
    QINT8_ISA: 'i8mm',
    QINT8_TEST_EXPECT_BEST: 'i8mm',
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:strict_string_checks=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  };
  const sysroot = process.env.QINT8_AARCH64_SYSROOT || '/usr/aarch64-linux-gnu';
  run(qemu, ['-L', sysroot, '-cpu', 'max', path.join(dir, 'qint8_tests'), ...passthrough], { env });
  console.log('\narm-tests --sanitize: ok');
  process.exit(0);
}

// The comparison labels (qt::covered in native/test) a tier's run must print: family/tier when the
// family has kernels of its own for the tier, family/tier->ran when the tier runs another tier's.
// GEMM and the GEMM-based convolutions have all three tiers; depthwise convolution has neon and
// neondot (i8mm runs the dotprod kernel); the elementwise families have NEON kernels only.
function expectedLabels(tier) {
  const own = { neon: 'neon', neondot: 'neondot', i8mm: 'i8mm' };
  const dw = { neon: 'neon', neondot: 'neondot', i8mm: 'neondot' };
  const label = (family, ran) => (ran === tier ? `${family}/${tier}` : `${family}/${tier}->${ran}`);
  return [
    label('gemm', own[tier]),
    label('conv', own[tier]),
    label('dwconv', dw[tier]),
    ...['quantize', 'binary', 'lut', 'pool', 'resize', 'dynquant', 'observe'].map((f) => label(f, 'neon')),
  ];
}

if (!addonOnly) {
  const dir = path.join(root, 'build', 'arm64-tests');
  crossBuild(dir, ['-DQINT8_BUILD_TESTS=ON', '-DQINT8_BUILD_ADDON=OFF', '-DQINT8_STATIC_TESTS=ON'], 'qint8_tests');
  const bin = path.join(dir, 'qint8_tests');
  const runs = [
    { cpu: 'cortex-a53', isa: 'neon', best: 'neon' },
    { cpu: 'cortex-a76', isa: 'neondot', best: 'neondot' },
    { cpu: 'max', isa: 'i8mm', best: 'i8mm' },
  ];
  for (const r of runs) {
    console.log(`\n== qemu-aarch64 -cpu ${r.cpu}: kernel tier ${r.isa} (QINT8_ISA=${r.isa})`);
    const env = { ...process.env, QINT8_ISA: r.isa, QINT8_TEST_EXPECT_BEST: r.best };
    const t0 = Date.now();
    const res = run(qemu, ['-cpu', r.cpu, bin, ...passthrough], { env, capture: true, allowFail: true });
    process.stdout.write(res.stdout);
    process.stderr.write(res.stderr);
    if (res.status !== 0) fail(`tests failed under -cpu ${r.cpu}`);
    // Every family must actually have been compared against the reference on the tier, running
    // the kernels the tier is meant to run (its own, or the tier it falls back to by design),
    // unless a filter skipped them.
    if (passthrough.length === 0) {
      for (const label of expectedLabels(r.isa)) {
        if (!new RegExp(`(^| )${label.replace(/[>]/g, '\\$&')}=\\d+`, 'm').test(res.stdout))
          fail(`-cpu ${r.cpu}: no ${label} comparison in the output`);
      }
    }
    console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s under emulation)`);
  }
  // The override must be refused (and reported) on a CPU without the tier.
  console.log('\n== qemu-aarch64 -cpu cortex-a53 with QINT8_ISA=i8mm: the override must be refused');
  const env = { ...process.env, QINT8_ISA: 'i8mm', QINT8_TEST_EXPECT_BEST: 'neon' };
  const res = run(qemu, ['-cpu', 'cortex-a53', bin, 'cpu_'], { env, capture: true, allowFail: true });
  process.stdout.write(res.stdout);
  process.stderr.write(res.stderr);
  if (res.status !== 0) fail('cpu tests failed with an unsupported QINT8_ISA');
  if (!/active tier: neon .*not supported/.test(res.stdout)) fail('QINT8_ISA=i8mm on cortex-a53 was not reported as unsupported');
}

if (!testsOnly) {
  const dir = path.join(root, 'build', 'arm64-addon');
  console.log('\n== cross-building the addon for linux-arm64');
  crossBuild(dir, ['-DQINT8_BUILD_ADDON=ON', '-DQINT8_BUILD_TESTS=OFF'], 'qint8');
  const so = path.join(dir, 'qint8.node');
  if (!fs.existsSync(so)) fail(`${so} was not built`);
  const hdr = run('aarch64-linux-gnu-readelf', ['-h', so], { capture: true }).stdout;
  if (!/Type:\s+DYN/.test(hdr) || !/Machine:\s+AArch64/.test(hdr)) fail(`${so} is not an aarch64 shared object`);
  const dyn = run('aarch64-linux-gnu-nm', ['-D', '--undefined-only', so], { capture: true }).stdout;
  const undef = dyn.split('\n').map((l) => l.trim().split(/\s+/).pop()).filter(Boolean);
  const napi = undef.filter((s) => /^napi_|^node_api_/.test(s));
  if (napi.length === 0) fail('the addon references no Node-API symbols');
  const defined = run('aarch64-linux-gnu-nm', ['-D', '--defined-only', so], { capture: true }).stdout;
  if (!/napi_register_module_v1/.test(defined)) fail('the addon does not export napi_register_module_v1');
  // Everything else must be a versioned import from libc / libstdc++ / libgcc (the NEEDED
  // libraries): a shared object links even with an unresolved qint8 symbol, which would only fail
  // when node loads it.
  const strong = dyn.split('\n').filter((l) => /\sU\s/.test(l)).map((l) => l.trim().split(/\s+/).pop());
  const stray = strong.filter((s) => !/^(napi_|node_api_)/.test(s) && !/@(GLIBC|GLIBCXX|CXXABI|GCC)_/.test(s));
  if (stray.length) fail(`unresolved symbols in the addon: ${stray.join(', ')}`);
  const needed = run('aarch64-linux-gnu-readelf', ['-d', so], { capture: true }).stdout.split('\n').filter((l) => l.includes('(NEEDED)')).map((l) => l.replace(/.*\[(.*)\].*/, '$1'));
  console.log(`${path.relative(root, so)}: aarch64 shared object, ${(fs.statSync(so).size / 1024).toFixed(0)} KB, ` +
    `${napi.length} Node-API imports (resolved by node), needs ${needed.join(' ')}`);
}
console.log('\narm-tests: ok');
