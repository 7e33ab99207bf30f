// The qint8 command: help texts, argument errors (one line `qint8: ...`, non-zero exit, no stack
// trace), and the commands on small models (main() with captured output; a few spawned runs of
// dist/cli/index.js, built by `npm test` before vitest).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, parseArgs, parseDims, parseIntList, parseNumberList } from '../lib/cli/args';
import { main } from '../lib/cli/index';
import { encodeNpy, readNpy } from '../lib/cli/npy';
import { Progress } from '../lib/cli/progress';
import { calibrationSet, evaluationSet, toInput } from '../lib/cli/fashion';
import { type QuantReport, quantizeModel } from '../lib/quant/flow';
import { Tensor } from '../lib/tensor';
import { DataType, buildModel, runOrt, tensor } from './helpers/onnx';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const FASHION = path.join(ROOT, 'test', 'fixtures', 'models', 'fashion_mnist_cnn.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function captureIo(tty = false): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    errTTY: tty,
    columns: 100,
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** A user error: exit code, exactly one line on stderr, nothing on stdout. */
async function expectError(argv: string[], message: string | RegExp, code = 2): Promise<void> {
  const r = await cli(...argv);
  expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(code);
  expect(r.out).toBe('');
  const lines = r.err.split('\n').filter((l) => l !== '' && !l.startsWith('note:'));
  expect(lines.length, r.err).toBe(1);
  expect(lines[0].startsWith('qint8: ')).toBe(true);
  if (typeof message === 'string') expect(lines[0]).toBe(`qint8: ${message}`);
  else expect(lines[0]).toMatch(message);
}

// QuantizeLinear(x, 0.1, 3): runs in the engine without the float ops, and on onnxruntime.
const Q_MODEL = path.join(tmp, 'q.onnx');
fs.writeFileSync(
  Q_MODEL,
  buildModel({
    nodes: [{ opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'] }],
    inputs: [{ name: 'x', type: DataType.FLOAT, dims: ['batch', 10] }],
    outputs: [{ name: 'y', type: DataType.UINT8, dims: ['batch', 10] }],
    initializers: [tensor('s', new Float32Array([0.1]), []), tensor('z', new Uint8Array([3]), [])],
  }),
);
const X = Float32Array.from({ length: 20 }, (_, i) => i * 0.37 - 2);
const X_NPY = path.join(tmp, 'x.npy');
fs.writeFileSync(X_NPY, encodeNpy({ dtype: 'float32', shape: [2, 10], data: X }));

describe('argument parsing', () => {
  const spec = { output: { value: true, short: 'o' }, dynamic: {}, input: { value: true, repeat: true } };
  it('values, switches, repeats, --flag=value, -o, --', () => {
    const p = parseArgs(['m.onnx', '-o', 'out.onnx', '--dynamic', '--input=a=1.npy', '--input', 'b.npy', '--', '--not-a-flag'], spec, 'cmd');
    expect(p.positionals).toEqual(['m.onnx', '--not-a-flag']);
    expect(p.flags.get('output')).toEqual(['out.onnx']);
    expect(p.flags.get('dynamic')).toEqual(['']);
    expect(p.flags.get('input')).toEqual(['a=1.npy', 'b.npy']);
    expect(parseArgs(['x', '--bogus', '--help'], spec, 'cmd').help).toBe(true);
  });
  it('errors name the flag', () => {
    expect(() => parseArgs(['--outptu', 'x'], spec, 'cmd')).toThrow("cmd: unknown option '--outptu' (did you mean --output?) (see qint8 cmd --help)");
    expect(() => parseArgs(['--zzz'], spec, 'cmd')).toThrow("cmd: unknown option '--zzz' (see qint8 cmd --help)");
    expect(() => parseArgs(['-x'], spec, 'cmd')).toThrow("cmd: unknown option '-x'");
    expect(() => parseArgs(['-o'], spec, 'cmd')).toThrow('cmd: --output needs a value');
    expect(() => parseArgs(['-o', '--dynamic'], spec, 'cmd')).toThrow('cmd: --output needs a value');
    expect(() => parseArgs(['--output='], spec, 'cmd')).toThrow('cmd: --output needs a value');
    expect(() => parseArgs(['-o', 'a', '-o', 'b'], spec, 'cmd')).toThrow('cmd: --output is given twice');
    expect(() => parseArgs(['--dynamic=yes'], spec, 'cmd')).toThrow("cmd: --dynamic takes no value (got '--dynamic=yes')");
  });
  it('numbers, lists and dims', () => {
    expect(parseIntList('threads', '1,2, 4')).toEqual([1, 2, 4]);
    expect(() => parseIntList('threads', '1,,2')).toThrow("--threads must be a comma-separated list of integers, got '1,,2'");
    expect(() => parseIntList('threads', '1,2.5')).toThrow("--threads must be an integer >= 1, got '2.5'");
    expect(() => parseIntList('threads', '0')).toThrow("--threads must be an integer >= 1, got '0'");
    expect(parseNumberList('mean', '0.485,0.456,-1e-3')).toEqual([0.485, 0.456, -0.001]);
    expect(() => parseNumberList('std', '0.2,0', true)).toThrow("--std must be a number > 0, got '0'");
    expect(() => parseNumberList('mean', 'a,b')).toThrow("--mean must be a finite number, got 'a'");
    expect(parseDims('shape', '1x3X224x224')).toEqual([1, 3, 224, 224]);
    expect(() => parseDims('shape', '1x0x2')).toThrow("--shape must be dims like 1x3x224x224 (integers >= 1), got '1x0x2'");
  });
});

describe('help and command errors', () => {
  it('qint8 help, qint8 <command> --help, qint8 help <command>', async () => {
    const h = await cli('help');
    expect(h.code).toBe(0);
    for (const c of ['quantize', 'run', 'bench', 'demo', 'kernels', 'info']) expect(h.out).toContain(`  ${c}`);
    for (const c of ['quantize', 'run', 'bench', 'demo', 'kernels', 'info']) {
      const a = await cli(c, '--help');
      expect(a.code, c).toBe(0);
      expect(a.out.startsWith(`usage: qint8 ${c}`), a.out).toBe(true);
      expect((await cli('help', c)).out).toBe(a.out);
    }
    expect((await cli('quantize', '-h')).out).toContain('--calib <dir>');
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.err).toContain('usage: qint8 <command>');
  });

  it('unknown commands and arguments', async () => {
    await expectError(['quantise'], "unknown command 'quantise' (did you mean quantize?); commands: quantize, run, bench, demo, kernels, info, help (qint8 help)");
    await expectError(['help', 'nope'], "help: unknown command 'nope' (commands: quantize, run, bench, demo, kernels, info, help)");
    await expectError(['kernels', 'extra'], 'kernels takes no arguments (got extra)');
    await expectError(['demo', 'x'], "demo: unexpected argument 'x' (see qint8 demo --help)");
    await expectError(['demo', '--limit', 'ten'], "--limit must be an integer >= 1, got 'ten'");
  });

  it('quantize: argument errors before any work', async () => {
    const out = path.join(tmp, 'out.onnx');
    await expectError(['quantize'], 'quantize: missing the input model (see qint8 quantize --help)');
    await expectError(['quantize', FASHION], 'quantize: -o <out.onnx> is required');
    await expectError(['quantize', FASHION, '-o', out], 'quantize: --calib <dir> is required for static quantization (or use --dynamic)');
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--method', 'kl'], "--method must be one of minmax, moving_average_minmax, histogram, entropy, mse, percentile, got 'kl'");
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--method', 'entrpy'], /got 'entrpy' \(did you mean entropy\?\)$/);
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--backend', 'tensorrt'], "--backend must be one of auto, fbgemm, x86, qnnpack, onednn, got 'tensorrt'");
    await expectError(['quantize', FASHION, '-o', out, '--dynamic', '--method', 'minmax'], /^qint8: --method is for static quantization/);
    await expectError(['quantize', FASHION, '-o', out, '--dynamic', '--calib', tmp], '--dynamic takes no calibration data (--calib is only used with --report in dynamic mode)');
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--limit', '-3'], "--limit must be an integer >= 1, got '-3'");
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--size', '28'], "--size must be HxW (two dims, e.g. 224x224), got '28'");
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--std', '0.5,0'], "--std must be a number > 0, got '0'");
    await expectError(['quantize', FASHION, '-o', FASHION, '--calib', tmp], '-o must differ from the input model (it would be overwritten)');
    await expectError(['quantize', FASHION, '-o', path.join(tmp, 'no', 'such', 'dir', 'o.onnx'), '--calib', tmp], /^qint8: -o .*o\.onnx: folder .*dir does not exist$/, 1);
    await expectError(['quantize', FASHION, '-o', out, '--calib', tmp, '--exclude', 'Conv,,Relu'], '--exclude must be a comma-separated list of node names or op types');
  });

  it('quantize: file errors name the file (exit 1)', async () => {
    const out = path.join(tmp, 'out.onnx');
    await expectError(['quantize', path.join(tmp, 'missing.onnx'), '-o', out, '--dynamic'], /^qint8: model .*missing\.onnx does not exist$/, 1);
    const junk = path.join(tmp, 'junk.onnx');
    fs.writeFileSync(junk, 'this is not a protobuf at all, just some text\n');
    await expectError(['quantize', junk, '-o', out, '--dynamic'], /^qint8: .*junk\.onnx: .*ONNX model/, 1);
    await expectError(['quantize', tmp, '-o', out, '--dynamic'], /^qint8: model .* is a folder, not a file$/, 1);
    await expectError(['quantize', FASHION, '-o', out, '--calib', path.join(tmp, 'nocalib')], /^qint8: calibration folder .*nocalib does not exist$/, 1);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    await expectError(['quantize', FASHION, '-o', out, '--calib', empty], /^qint8: calibration folder .*empty has no samples/, 1);
    // A calibration sample of the wrong shape fails before calibration starts, naming the file.
    const bad = path.join(tmp, 'badcalib');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'a.npy'), encodeNpy({ dtype: 'float32', shape: [3, 28, 28], data: new Float32Array(3 * 784) }));
    await expectError(['quantize', FASHION, '-o', out, '--calib', bad], /^qint8: .*a\.npy: shape \(3, 28, 28\) does not fit input 'image' \[batch, 1, 28, 28\]: dim 1 is 3, expected/, 1);
    await expectError(['quantize', FASHION, '-o', out, '--calib', bad, '--input-name', 'x'], "--input-name x is not an input of the model (inputs: image)", 1);
    await expectError(['quantize', FASHION, '-o', out, '--dynamic', '--exclude', 'NoSuchNode'], 'exclude names no node or op type of the model: NoSuchNode', 1);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('qint8 run', () => {
  it('runs a model on .npy inputs, prints shape, values and argmax, writes .npy equal to onnxruntime', async () => {
    const out = path.join(tmp, 'y.npy');
    const r = await cli('run', Q_MODEL, '--input', X_NPY, '--output', out, '--threads', '1');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('y: uint8 [2, 10]');
    const y = readNpy(out);
    expect(y.dtype).toBe('uint8');
    expect(y.shape).toEqual([2, 10]);
    const want = (await runOrt(fs.readFileSync(Q_MODEL), { x: { data: X, dims: [2, 10] } })).y.data as Uint8Array;
    expect(Array.from(y.data as Uint8Array)).toEqual(Array.from(want));
    expect(lines[1]).toBe(`  values: ${Array.from(want.subarray(0, 10)).join(' ')} ... (10 of 20)`);
    expect(lines[2]).toBe(`  argmax over the last axis: 9 (${want[9]}), 9 (${want[19]})`);
    expect(r.out).toContain(`wrote ${out} (y, uint8 [2, 10])`);
    // Named input, batch-less file.
    const one = path.join(tmp, 'x1.npy');
    fs.writeFileSync(one, encodeNpy({ dtype: 'float64', shape: [10], data: Float64Array.from(X.subarray(0, 10)) }));
    const r2 = await cli('run', Q_MODEL, '--input', `x=${one}`);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out.split('\n')[0]).toBe('y: uint8 [1, 10]');
  });

  it('argument and file errors', async () => {
    await expectError(['run', Q_MODEL], 'run: give the model its inputs with --input <file> (or --input <name>=<file>)');
    await expectError(['run', Q_MODEL, '--input', `z=${X_NPY}`], `--input z=${X_NPY}: the model has no input 'z' (inputs: x)`);
    await expectError(['run', Q_MODEL, '--input', X_NPY, '--input', `x=${X_NPY}`], "--input: input 'x' is given twice");
    await expectError(['run', Q_MODEL, '--input', X_NPY, '--output', 'w=o.npy'], "--output: the model has no output 'w' (outputs: y)");
    await expectError(['run', Q_MODEL, '--input', X_NPY, '--threads', '0'], "--threads must be an integer >= 1, got '0'");
    await expectError(['run', path.join(tmp, 'none.onnx'), '--input', X_NPY], /^qint8: model .*none\.onnx does not exist$/, 1);
    await expectError(['run', Q_MODEL, '--input', path.join(tmp, 'none.npy')], /^qint8: cannot read .*none\.npy: no such file$/, 1);
    const wrong = path.join(tmp, 'wrong.npy');
    fs.writeFileSync(wrong, encodeNpy({ dtype: 'float32', shape: [2, 9], data: new Float32Array(18) }));
    await expectError(['run', Q_MODEL, '--input', wrong], /^qint8: .*wrong\.npy: shape \(2, 9\) does not fit input 'x' \[batch, 10\]: dim 1 is 9/, 1);
    const img = path.join(tmp, 'x.png');
    fs.writeFileSync(img, Buffer.from('not an image'));
    await expectError(['run', Q_MODEL, '--input', img], /^qint8: images feed NCHW inputs \(rank 4\); input 'x' \[batch, 10\] has rank 2: use \.npy files$/, 1);
  });
});

describe('qint8 bench', () => {
  it('times qint8 and onnxruntime alternately and prints one row per (threads, batch)', async () => {
    const r = await cli('bench', Q_MODEL, '--compare', 'onnxruntime', '--threads', '1', '--batch', '1,4', '--seconds', '0.2');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    const head = lines.findIndex((l) => l.trim().startsWith('threads'));
    expect(lines[head].split(/\s{2,}/).map((s) => s.trim())).toEqual(['threads', 'batch', 'qint8 ms', 'p90', 'inf/s', 'onnxruntime ms', 'p90', 'inf/s', 'qint8 speedup']);
    const rows = lines.slice(head + 1, head + 3).map((l) => l.trim().split(/\s+/));
    expect(rows.map((x) => x.slice(0, 2))).toEqual([
      ['1', '1'],
      ['1', '4'],
    ]);
    for (const row of rows) {
      expect(row.length).toBe(9);
      for (const v of row.slice(2, 8)) expect(Number(v)).toBeGreaterThan(0);
      expect(row[8]).toMatch(/^\d+\.\d\dx$/);
    }
  });

  it('argument errors', async () => {
    await expectError(['bench', Q_MODEL, '--compare', 'tflite'], "--compare: only 'onnxruntime' is supported, got 'tflite'");
    await expectError(['bench', Q_MODEL, '--seconds', '0'], "--seconds must be a number > 0, got '0'");
    await expectError(['bench', Q_MODEL, '--shape', '1x10'], "--shape must be name=value, got '1x10'");
    await expectError(['bench', Q_MODEL, '--shape', 'y=1x10'], "--shape: the model has no input 'y' (inputs: x)");
    await expectError(['bench', Q_MODEL, '--shape', 'x=1x11'], "--shape x=1x11: dim 1 of input 'x' [batch, 10] is fixed at 10");
    await expectError(['bench', Q_MODEL, '--shape', 'x=10'], "--shape x=10: input 'x' [batch, 10] has rank 2");
    const dyn = path.join(tmp, 'dyn.onnx');
    fs.writeFileSync(
      dyn,
      buildModel({
        nodes: [{ opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'] }],
        inputs: [{ name: 'x', type: DataType.FLOAT, dims: ['batch', 'n'] }],
        outputs: [{ name: 'y', type: DataType.UINT8, dims: ['batch', 'n'] }],
        initializers: [tensor('s', new Float32Array([0.1]), []), tensor('z', new Uint8Array([3]), [])],
      }),
    );
    await expectError(['bench', dyn], "input 'x' [batch, n] has a dynamic dim 'n' (dim 1): give its dims with --shape x=1x1");
  });
});

describe('the qint8 executable', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

  it('user errors: one line on stderr, exit code 2 (usage) or 1 (files), no stack trace', () => {
    expect(fs.existsSync(CLI), `${CLI} is missing: npx tsc -p tsconfig.build.json`).toBe(true);
    const a = run([CLI, 'quantize', FASHION, '--calib']);
    expect(a.status).toBe(2);
    expect(a.stdout).toBe('');
    expect(a.stderr).toBe('qint8: quantize: --calib needs a value\n');
    const b = run([CLI, 'run', path.join(tmp, 'nope.onnx'), '--input', X_NPY]);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^qint8: model .*nope\.onnx does not exist\n$/);
    const c = run([CLI, 'frobnicate']);
    expect(c.status).toBe(2);
    expect(c.stderr.split('\n').filter(Boolean).length).toBe(1);
    // QINT8_DEBUG=1 adds the stack.
    const d = run([CLI, 'run', path.join(tmp, 'nope.onnx'), '--input', X_NPY], { QINT8_DEBUG: '1' });
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it('bench --compare without onnxruntime-node says so in one line and times qint8 alone', () => {
    // A preload that makes require('onnxruntime-node') fail as it does when it is not installed.
    const hide = path.join(tmp, 'hide-ort.js');
    fs.writeFileSync(
      hide,
      `const M = require('module'); const r = M._resolveFilename;
       M._resolveFilename = function (req, ...a) { if (req === 'onnxruntime-node' || req.startsWith('onnxruntime-node/')) { const e = new Error("Cannot find module '" + req + "'"); e.code = 'MODULE_NOT_FOUND'; throw e; } return r.call(this, req, ...a); };`,
    );
    const r = run(['-r', hide, CLI, 'bench', Q_MODEL, '--compare', 'onnxruntime', '--threads', '1', '--seconds', '0.1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('qint8: --compare onnxruntime: onnxruntime-node is not installed, so there is nothing to compare with (npm install onnxruntime-node to compare); timing qint8 alone\n');
    expect(r.stdout).toMatch(/threads\s+batch\s+qint8 ms\s+p90\s+inf\/s\n/);
    expect(r.stdout).not.toContain('onnxruntime ms');
  });
});

describe('progress bar', () => {
  it('terminal: one line redrawn in place, then a final line', () => {
    const io = captureIo(true);
    const p = new Progress(io, 'calibrating', 3);
    for (let i = 1; i <= 3; i++) p.update(i);
    p.done();
    expect(io.stderr.startsWith('\r\x1b[Kcalibrating [')).toBe(true);
    expect(io.stderr.split('\n').length).toBe(2);
    expect(io.stderr).toMatch(/\r\x1b\[Kcalibrating: 3\/3 in \d+\.\d s\n$/);
  });
  it('not a terminal: a few plain lines', () => {
    const io = captureIo(false);
    const p = new Progress(io, 'calibrating', 1000);
    for (let i = 1; i <= 1000; i++) p.update(i);
    p.done();
    const lines = io.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBe(5);
    expect(lines[0]).toBe('calibrating: 0/1000');
    expect(lines[1]).toMatch(/^calibrating: 250\/1000 \(\d+\.\d s\)$/);
    expect(lines[4]).toMatch(/^calibrating: 1000\/1000 in \d+\.\d s$/);
    expect(io.stderr).not.toContain('\r');
  });
});

describe('Fashion-MNIST end to end (quantize, run, bench, demo)', () => {
  // 20 calibration images as gray PNGs (2 per class), and 64 test images as one .npy batch.
  const calib = calibrationSet();
  const evalSet = evaluationSet();
  const calibDir = path.join(tmp, 'fashion-calib');
  const picks = Array.from({ length: 20 }, (_, i) => (i % 10) * (calib.count / 10) + Math.floor(i / 10));
  fs.mkdirSync(calibDir, { recursive: true });
  picks.forEach((k, i) => {
    const p = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0 });
    const px = calib.images.subarray(k * 784, (k + 1) * 784);
    for (let j = 0; j < 784; j++) p.data.set([px[j], px[j], px[j], 255], 4 * j);
    fs.writeFileSync(path.join(calibDir, `img${i}.png`), PNG.sync.write(p, { colorType: 0, inputColorType: 6 }));
  });
  const N = 64;
  const xs = toInput(evalSet, 0, N);
  const xsNpy = path.join(tmp, 'fashion-x.npy');
  fs.writeFileSync(xsNpy, encodeNpy({ dtype: 'float32', shape: [N, 1, 28, 28], data: xs }));
  const int8File = path.join(tmp, 'fashion.int8.onnx');

  it('quantize: PNG calibration folder -> QDQ file equal to quantizeModel() on the same pixels; summary and report', async () => {
    const reportFile = path.join(tmp, 'fashion.report.json');
    const r = await cli('quantize', FASHION, '-o', int8File, '--calib', calibDir, '--method', 'minmax', '--report', reportFile);
    expect(r.code, r.err).toBe(0);
    // The summary: int8 / float op counts, sizes, time.
    expect(r.out).toContain(`mode: static, calibration: minmax on 20 samples, backend `);
    expect(r.out).toMatch(/ops: 13 in the float model \(after optimisation\); int8 \d+ \(4 QLinearConv, 2 MaxPool, /);
    expect(r.out).toMatch(/size: 258\.4 KB -> \d+\.\d KB \(\d\.\d\dx smaller\)/);
    // Progress on stderr (not a terminal: plain lines, ending with the total).
    expect(r.err).toMatch(/^calibrating: 0\/20\n/);
    expect(r.err).toMatch(/calibrating: 20\/20 in \d+\.\d s\n/);
    // Gray PNGs at the model's size are pixel / 255: the same file as the library on those floats.
    const feeds = picks.map((k) => ({ image: new Tensor('float32', toInput(calib, k, 1), [1, 1, 28, 28]) }));
    const lib = await quantizeModel(FASHION, { backend: 'auto', calibration: { method: 'minmax' }, data: feeds });
    expect(Buffer.compare(fs.readFileSync(int8File), Buffer.from(lib.toBytes()))).toBe(0);
    const rep = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as QuantReport;
    expect(rep.samples).toBe(20);
    expect(rep.outputs[0].name).toBe('logits');
    expect(rep.outputs[0].sqnr).toBeGreaterThan(20);
    expect(r.out).toMatch(/output logits: SQNR \d+\.\d dB \(int8 vs float\)/);
  });

  it('quantize --calib-option: observer options (entropy variant), same file as the library; bad options in one line', async () => {
    const out = path.join(tmp, 'fashion.entropy.onnx');
    const r = await cli('quantize', FASHION, '-o', out, '--calib', calibDir, '--method', 'entropy', '--calib-option', 'variant=onnxruntime', '--calib-option', 'bins=256');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('calibration: entropy (variant onnxruntime, bins 256) on 20 samples');
    const feeds = picks.map((k) => ({ image: new Tensor('float32', toInput(calib, k, 1), [1, 1, 28, 28]) }));
    const lib = await quantizeModel(FASHION, { backend: 'auto', calibration: { method: 'entropy', variant: 'onnxruntime', bins: 256 }, data: feeds });
    expect(Buffer.compare(fs.readFileSync(out), Buffer.from(lib.toBytes()))).toBe(0);
    await expectError(['quantize', FASHION, '-o', out, '--calib', calibDir, '--calib-option', 'bins'], "--calib-option must be name=value, got 'bins'");
    await expectError(['quantize', FASHION, '-o', out, '--calib', calibDir, '--calib-option', 'method=mse'], '--calib-option: give the method with --method');
    await expectError(['quantize', FASHION, '-o', out, '--dynamic', '--calib-option', 'bins=2'], '--calib-option is for static quantization');
    await expectError(['quantize', FASHION, '-o', out, '--calib', calibDir, '--method', 'entropy', '--calib-option', 'bogus=1'], /^qint8: unknown option for EntropyCalibrator: bogus \(known: /, 1);
  });

  it('run: the saved int8 file in qint8 equals onnxruntime on it, bit for bit; argmax = labels as often as in-process', async () => {
    expect(fs.existsSync(int8File)).toBe(true);
    const yFile = path.join(tmp, 'fashion-y.npy');
    const r = await cli('run', int8File, '--input', xsNpy, '--output', yFile, '--threads', '2');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`logits: float32 [${N}, 10]`);
    const y = readNpy(yFile);
    expect(y.shape).toEqual([N, 10]);
    const ort = (await runOrt(fs.readFileSync(int8File), { image: { data: xs, dims: [N, 1, 28, 28] } })).logits.data as Float32Array;
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(ort));
    // The argmax line lists the first images' classes; the model gets most of them right.
    const argmax = (i: number) => {
      let k = 0;
      for (let j = 1; j < 10; j++) if (ort[i * 10 + j] > ort[i * 10 + k]) k = j;
      return k;
    };
    const right = Array.from({ length: N }, (_, i) => argmax(i) === evalSet.labels[i]).filter(Boolean).length;
    expect(right / N).toBeGreaterThan(0.8);
    expect(r.out.split('\n')[2].startsWith(`  argmax over the last axis: ${argmax(0)} (`)).toBe(true);
    // An image input: a PNG of test image 0 is the same as its .npy row.
    const p = new PNG({ width: 28, height: 28 });
    for (let j = 0; j < 784; j++) {
      const v = evalSet.images[j];
      p.data.set([v, v, v, 255], 4 * j);
    }
    const img = path.join(tmp, 'test0.png');
    fs.writeFileSync(img, PNG.sync.write(p));
    const r2 = await cli('run', int8File, '--input', img);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out.split('\n')[1]).toBe(`  values: ${Array.from(ort.subarray(0, 10), (v) => v.toFixed(4)).join(' ')}`);
  });

  it('quantize --dynamic: a file onnxruntime loads and qint8 runs equal to it', async () => {
    const dyn = path.join(tmp, 'fashion.dyn.onnx');
    const r = await cli('quantize', FASHION, '-o', dyn, '--dynamic');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('mode: dynamic');
    expect(r.out).toContain('int8 9 (4 ConvInteger, 4 DynamicQuantizeLinear, DynamicQuantizeMatMul)');
    const yFile = path.join(tmp, 'fashion-dyn-y.npy');
    expect((await cli('run', dyn, '--input', xsNpy, '--output', yFile)).code).toBe(0);
    const ort = (await runOrt(fs.readFileSync(dyn), { image: { data: xs, dims: [N, 1, 28, 28] } })).logits.data as Float32Array;
    expect(Array.from(readNpy(yFile).data as Float32Array)).toEqual(Array.from(ort));
  });

  it("run: onnxruntime's QOperator and QDQ files of the same CNN, equal to onnxruntime bit for bit", async () => {
    for (const m of ['fashion_mnist_cnn.qop.onnx', 'fashion_mnist_cnn.ort_qdq.onnx']) {
      const file = path.join(path.dirname(FASHION), m);
      const yFile = path.join(tmp, `${m}.y.npy`);
      const r = await cli('run', file, '--input', xsNpy, '--output', yFile);
      expect(r.code, r.err).toBe(0);
      const ort = (await runOrt(fs.readFileSync(file), { image: { data: xs, dims: [N, 1, 28, 28] } })).logits.data as Float32Array;
      expect(Array.from(readNpy(yFile).data as Float32Array), m).toEqual(Array.from(ort));
    }
  });

  it('bench: the int8 file against onnxruntime', async () => {
    const r = await cli('bench', int8File, '--compare', 'onnxruntime', '--threads', '1', '--batch', '2', '--seconds', '0.2');
    expect(r.code, r.err).toBe(0);
    // Figures have 3 decimals below 10, fewer above (a slow p90 on a busy machine).
    expect(r.out).toMatch(/\n\s+1\s+2(\s+\d+(\.\d+)?){6}\s+\d+\.\d\dx\n/);
  });

  it('demo: accuracy table for every method and dynamic, latency table (small limit and budget)', async () => {
    const r = await cli('demo', '--limit', '100', '--seconds', '0.3');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    const head = lines.findIndex((l) => l.startsWith('model '));
    expect(lines[head].split(/\s{2,}/)).toEqual(['model', 'top-1', 'vs float', 'timed as']);
    const names = lines.slice(head + 1, head + 9).map((l) => l.split(/\s{2,}/)[0]);
    expect(names).toEqual(['float', 'static minmax', 'static moving_average_minmax', 'static histogram', 'static entropy', 'static mse', 'static percentile', 'dynamic']);
    for (const l of lines.slice(head + 2, head + 9)) expect(l).toMatch(/\s\d+\.\d\d%\s+[+-]\d+\.\d\d\s+int8 (static|dynamic)$/);
    const lat = lines.findIndex((l) => l.startsWith('latency '));
    expect(lines.slice(lat + 1, lat + 5).map((l) => l.split(/\s{2,}/)[0])).toEqual(['float (qint8)', 'float (onnxruntime)', 'int8 static', 'int8 dynamic']);
    expect(lines[lat + 3]).toMatch(/^int8 static\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d\dx \/ \d+\.\d\dx\s+\d+\.\d\dx \/ \d+\.\d\dx$/);
    expect(r.out).toContain('accuracy on the first 100 of ');
    expect(r.out).toMatch(/kernel tier \w+/);
  }, 60_000);
});
