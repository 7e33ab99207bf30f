// Runtime: ISA detection and override, thread pool settings, loading in worker threads.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { configure, cpuInfo, defaultThreads, measurePeakGops } from '../lib';

const root = path.resolve(__dirname, '..');
// Runs a snippet in a fresh Node process (compiled TypeScript is not needed: the loader is plain).
function child(code: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['-e', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}
const loaderSnippet = `
  const b = require('./build/Release/qint8.node');
  const i = b.cpuInfo();
  process.stdout.write(JSON.stringify({ active: i.activeIsa, err: i.isaEnvError }));
`;

describe('cpuInfo and ISA selection', () => {
  it('reports what was detected and what is in use', () => {
    const i = cpuInfo();
    expect(i.supportedIsas[0]).toBe('scalar');
    expect(i.supportedIsas).toContain(i.bestIsa);
    expect(i.supportedIsas).toContain(i.activeIsa);
    expect(typeof i.features).toBe('object');
    if (process.arch === 'x64') expect(i.arch).toBe('x64');
  });

  it('QINT8_ISA selects a supported tier', () => {
    for (const isa of cpuInfo().supportedIsas) {
      const r = JSON.parse(child(loaderSnippet, { QINT8_ISA: isa }));
      expect(r).toEqual({ active: isa, err: '' });
    }
  });

  it('QINT8_ISA naming a tier this CPU lacks is a clear error at load, not a crash', () => {
    const missing = ['avx2', 'avx512vnni', 'neon', 'neondot', 'i8mm'].find((i) => !cpuInfo().supportedIsas.includes(i as never))!;
    const raw = JSON.parse(child(loaderSnippet, { QINT8_ISA: missing }));
    expect(raw.err).toMatch(/not supported by this CPU/);
    // The library's loader (compiled to dist/ by npm test) turns it into a thrown Error.
    const viaLib = child(
      `try { require('./dist/native.js').native(); process.stdout.write('loaded'); }
       catch (e) { process.stdout.write(e.message); }`,
      { QINT8_ISA: missing },
    );
    expect(viaLib).toMatch(new RegExp(`QINT8_ISA=${missing} is not supported by this CPU; supported here: scalar`));
    expect(JSON.parse(child(loaderSnippet, { QINT8_ISA: 'sse9' })).err).toMatch(/not an ISA name/);
  });

  it('configure({isa}) switches the active tier and rejects unsupported ones', () => {
    const before = cpuInfo().activeIsa;
    configure({ isa: 'scalar' });
    expect(cpuInfo().activeIsa).toBe('scalar');
    configure({ isa: before });
    expect(cpuInfo().activeIsa).toBe(before);
  });
});

describe('thread pool', () => {
  it('defaults to the available parallelism and can be resized', () => {
    expect(cpuInfo().threads).toBe(defaultThreads());
    configure({ threads: 3 });
    expect(cpuInfo().threads).toBe(3);
    configure({ threads: defaultThreads(), spinMicros: 0 });
    expect(cpuInfo().threads).toBe(defaultThreads());
    configure({ spinMicros: 50 });
    configure({ runnerSpinMicros: 0 });
    configure({ runnerSpinMicros: 250 });
    expect(() => configure({ runnerSpinMicros: -1 })).toThrow(/runnerSpinMicros/);
    expect(() => configure({ spinMicros: 1.5 })).toThrow(/spinMicros/);
  });
});

describe('peak measurement', () => {
  it('measures a positive int8 rate for the active ISA', () => {
    expect(measurePeakGops(undefined, 2)).toBeGreaterThan(0);
  });
});

describe('worker_threads', () => {
  it('the addon loads and computes in a worker (context-aware)', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      const b = require(${JSON.stringify(path.join(root, 'build/Release/qint8.node'))});
      const p = b.packLinear(new Int8Array([1,2,3,4,5,6]), 2, 3, undefined, new Float32Array([1]), null, null, null,
                             0, 1, 0, 3, 1, 0, false, NaN, NaN);
      const y = b.linear(p, new Uint8Array([1,1,1]), 1, new Int32Array(2));
      parentPort.postMessage(Array.from(y));
    `;
    const w = new Worker(code, { eval: true });
    const msg = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(msg).toEqual([6, 15]);
    await w.terminate();
  });
});

describe('addon loader', () => {
  it('looks for a prebuild first, then build/Release, then build/Debug', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const { addonCandidates } = await import('../lib/native');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-loader-'));
    const pre = path.join(tmp, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(pre, { recursive: true });
    fs.writeFileSync(path.join(pre, 'qint8.napi.node'), '');
    fs.writeFileSync(path.join(pre, 'qint8.napi.musl.node'), '');
    fs.writeFileSync(path.join(pre, 'README'), '');
    const c = addonCandidates(tmp);
    const isMusl = fs.existsSync('/etc/alpine-release');
    expect(c).toEqual([
      path.join(pre, isMusl ? 'qint8.napi.musl.node' : 'qint8.napi.node'),
      path.join(tmp, 'build', 'Release', 'qint8.node'),
      path.join(tmp, 'build', 'Debug', 'qint8.node'),
    ]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('a failed load names what was tried and how to fix it', () => {
    const out = child(
      `const fs = require('fs'), path = require('path'), os = require('os');
       const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-pkg-'));
       fs.mkdirSync(path.join(tmp, 'dist'));
       for (const f of fs.readdirSync('dist')) if (f.endsWith('.js')) fs.copyFileSync(path.join('dist', f), path.join(tmp, 'dist', f));
       fs.mkdirSync(path.join(tmp, 'node_modules'));
       try { require(path.join(tmp, 'dist', 'native.js')).native(); process.stdout.write('loaded'); }
       catch (e) { process.stdout.write(e.message); }
       fs.rmSync(tmp, { recursive: true });`,
      {},
    );
    expect(out).toMatch(/could not load the native addon/);
    expect(out).toMatch(/build[/\\]Release[/\\]qint8\.node: not found/);
    expect(out).toMatch(/npm rebuild qint8/);
  });
});
