// int8 op-set bench: qint8's elementwise / structural ops on every ISA vs onnxruntime-node's
// equivalents (com.microsoft QLinear* ops, NHWC variants where onnxruntime has them) on typical
// CNN shapes, at 1 and 2 threads. Rows go to bench/results/eltwise.json: {name, shape, threads,
// impl, isa, medianMs, gbps, vsOrt}; gbps = (input + output bytes) / time; vsOrt = onnxruntime
// time / qint8 time in the same rounds (> 1: faster).
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { encodeModel, DataType } = require('../dist/onnx/proto');
const { interleave, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const raw = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const init = (name, data, dims, dataType) => ({ name, dims, dataType, rawData: raw(data) });
const vi = (name, elemType, dims) => ({ name, type: { tensorType: { elemType, shape: dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined } } });
const ints = (name, v) => ({ name, type: 7, ints: v });
const int = (name, v) => ({ name, type: 2, i: v });
const str = (name, v) => ({ name, type: 3, s: new TextEncoder().encode(v) });
const U8 = DataType.UINT8;
const size = (s) => s.reduce((a, b) => a * b, 1);

function model(node, inputs, inits, opset = 13) {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }, { domain: 'com.microsoft', version: 1 }],
    graph: { name: 'g', node: [node], initializer: inits, input: inputs.map(([n, t, d]) => vi(n, t, d)), output: [vi('y', node.outputType ?? U8)] },
  });
}
const qp = (prefix, s, z) => [init(`${prefix}s`, new Float32Array([s]), [], DataType.FLOAT), init(`${prefix}z`, new Uint8Array([z]), [], U8)];

function rand(n, seed) {
  let s = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) & 255));
}

// Each case: qint8 call (given an ISA), an onnxruntime model with its feeds, bytes moved.
function cases() {
  const A = { scale: 0.02, zeroPoint: 128 };
  const B = { scale: 0.03, zeroPoint: 120 };
  const O = { scale: 0.04, zeroPoint: 125 };
  const list = [];
  {
    const s = [1, 56, 56, 64];
    const a = rand(size(s), 1), b = rand(size(s), 2), out = new Uint8Array(size(s));
    list.push({
      name: 'add (residual)', shape: s, bytes: 3 * size(s),
      run: (isa) => q.add({ data: a, shape: s, ...A }, { data: b, shape: s, ...B }, O, { out, isa }),
      model: model({ opType: 'QLinearAdd', domain: 'com.microsoft', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], output: ['y'] }, [['a', U8, s], ['b', U8, s]], [...qp('a', A.scale, A.zeroPoint), ...qp('b', B.scale, B.zeroPoint), ...qp('y', O.scale, O.zeroPoint)]),
      feeds: { a: new ort.Tensor('uint8', a, s), b: new ort.Tensor('uint8', b, s) },
    });
  }
  {
    const s = [1, 28, 28, 128], sb = [1, 1, 1, 128];
    const a = rand(size(s), 3), b = rand(128, 4), out = new Uint8Array(size(s));
    list.push({
      name: 'mul (channel scale)', shape: s, bytes: 2 * size(s),
      run: (isa) => q.mul({ data: a, shape: s, ...A }, { data: b, shape: sb, ...B }, O, { out, isa }),
      model: model({ opType: 'QLinearMul', domain: 'com.microsoft', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], output: ['y'] }, [['a', U8, s], ['b', U8, sb]], [...qp('a', A.scale, A.zeroPoint), ...qp('b', B.scale, B.zeroPoint), ...qp('y', O.scale, O.zeroPoint)]),
      feeds: { a: new ort.Tensor('uint8', a, s), b: new ort.Tensor('uint8', b, sb) },
    });
  }
  {
    const s = [1, 56, 56, 64];
    const x = rand(size(s), 5), out = new Uint8Array(size(s));
    const table = q.lookupTable('sigmoid', A, { scale: 1 / 256, zeroPoint: 0 });
    list.push({
      name: 'sigmoid (table)', shape: s, bytes: 2 * size(s),
      run: (isa) => q.applyLookupTable(x, table, { out, isa }),
      model: model({ opType: 'QLinearSigmoid', domain: 'com.microsoft', input: ['x', 'xs', 'xz', 'ys', 'yz'], output: ['y'] }, [['x', U8, s]], [...qp('x', A.scale, A.zeroPoint), ...qp('y', 1 / 256, 0)]),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 112, 112, 64];
    const x = rand(size(s), 6), out = new Uint8Array(56 * 56 * 64);
    const p = { kernel: 3, strides: 2, pads: 1 };
    list.push({
      name: 'maxpool 3x3/2', shape: s, bytes: size(s) + out.length,
      run: (isa) => q.maxPool2d({ data: x, shape: s }, p, { out, isa }),
      model: model({ opType: 'NhwcMaxPool', domain: 'com.microsoft', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])] }, [['x', U8, s]], []),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 28, 28, 128];
    const x = rand(size(s), 7), out = new Uint8Array(size(s));
    const p = { kernel: 3, strides: 1, pads: 1 };
    list.push({
      name: 'avgpool 3x3/1', shape: s, bytes: 2 * size(s),
      run: (isa) => q.averagePool2d({ data: x, shape: s, ...A }, p, O, { out, isa }),
      model: model({ opType: 'QLinearAveragePool', domain: 'com.microsoft', input: ['x', 'xs', 'xz', 'ys', 'yz'], output: ['y'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('channels_last', 1)] }, [['x', U8, s]], [...qp('x', A.scale, A.zeroPoint), ...qp('y', O.scale, O.zeroPoint)]),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 7, 7, 1024];
    const x = rand(size(s), 8), out = new Uint8Array(1024);
    list.push({
      name: 'global avgpool', shape: s, bytes: size(s) + 1024,
      run: (isa) => q.globalAveragePool({ data: x, shape: s, ...A }, O, { out, isa }),
      model: model({ opType: 'QLinearGlobalAveragePool', domain: 'com.microsoft', input: ['x', 'xs', 'xz', 'ys', 'yz'], output: ['y'], attribute: [int('channels_last', 1)] }, [['x', U8, s]], [...qp('x', A.scale, A.zeroPoint), ...qp('y', O.scale, O.zeroPoint)]),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 28, 28, 64];
    const a = rand(size(s), 9), b = rand(size(s), 10), out = new Uint8Array(2 * size(s));
    list.push({
      name: 'concat (requant one)', shape: s, bytes: 4 * size(s),
      run: (isa) => q.concat([{ data: a, shape: s, ...A }, { data: b, shape: s, ...O }], 3, O, { out, isa }),
      model: model({ opType: 'QLinearConcat', domain: 'com.microsoft', input: ['ys', 'yz', 'a', 'as', 'az', 'b', 'bs', 'bz'], output: ['y'], attribute: [int('axis', 3)] }, [['a', U8, s], ['b', U8, s]], [...qp('a', A.scale, A.zeroPoint), ...qp('b', O.scale, O.zeroPoint), ...qp('y', O.scale, O.zeroPoint)]),
      feeds: { a: new ort.Tensor('uint8', a, s), b: new ort.Tensor('uint8', b, s) },
    });
  }
  for (const mode of ['nearest', 'linear']) {
    const s = [1, 28, 28, 128];
    const x = rand(size(s), 11), out = new Uint8Array(4 * size(s));
    list.push({
      name: `resize 2x ${mode}`, shape: s, bytes: 5 * size(s),
      run: (isa) => q.resize({ data: x, shape: s }, { scales: [2, 2], mode }, { out, isa }),
      model: model({ opType: 'Resize', input: ['x', 'roi', 'sc'], output: ['y'], attribute: [str('mode', mode)] }, [['x', U8, s]], [init('roi', new Float32Array(0), [0], DataType.FLOAT), init('sc', new Float32Array([1, 2, 2, 1]), [4], DataType.FLOAT)]),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 56, 56, 64];
    const x = rand(size(s), 12), out = new Uint8Array(58 * 58 * 64);
    const pads = [0, 1, 1, 0, 0, 1, 1, 0];
    list.push({
      name: 'pad 1px', shape: s, bytes: size(s) + out.length,
      run: (isa) => q.pad({ data: x, shape: s, zeroPoint: 128 }, { pads }, { out, isa }),
      model: model({ opType: 'Pad', input: ['x', 'p', 'v'], output: ['y'] }, [['x', U8, s]], [init('p', BigInt64Array.from(pads.map(BigInt)), [8], DataType.INT64), init('v', new Uint8Array([128]), [], U8)]),
      feeds: { x: new ort.Tensor('uint8', x, s) },
    });
  }
  {
    const s = [1, 56, 56, 64];
    const x = Float32Array.from(rand(size(s), 13), (v) => (v - 100) / 17);
    const out = new Uint8Array(size(s));
    list.push({
      name: 'dynamic quantize', shape: s, bytes: 5 * size(s),
      run: (isa) => q.dynamicQuantize(x, { out, isa }),
      model: encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node: [{ opType: 'DynamicQuantizeLinear', input: ['x'], output: ['y', 's', 'z'] }], input: [vi('x', DataType.FLOAT, s)], output: [vi('y', U8), vi('s', DataType.FLOAT), vi('z', U8)] } }),
      feeds: { x: new ort.Tensor('float32', x, s) },
    });
  }
  return list;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 3 : 5;
  const info = q.cpuInfo();
  const threadList = Math.min(2, q.defaultThreads()) >= 2 ? [1, 2] : [1];
  const isas = info.supportedIsas;
  const rows = [];
  for (const c of cases()) {
    for (const threads of threadList) {
      const session = await ort.InferenceSession.create(c.model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const batch = Math.max(1, Math.round(2e6 / c.bytes));
      const tasks = isas.map((isa) => ({
        name: `qint8/${isa}`,
        batch,
        before: () => q.configure({ threads }),
        fn: () => {
          for (let i = 0; i < batch; i++) c.run(isa);
        },
      }));
      tasks.push({ name: 'onnxruntime', batch, fn: async () => { for (let i = 0; i < batch; i++) await session.run(c.feeds); } });
      const res = await interleave(tasks, { rounds, timeMs: quick ? 60 : 120, settleMs: 40 });
      const ortRes = res.get('onnxruntime');
      for (const t of tasks) {
        const r = res.get(t.name);
        const isOrt = t.name === 'onnxruntime';
        rows.push({
          name: c.name,
          shape: c.shape,
          threads,
          impl: isOrt ? 'onnxruntime' : 'qint8',
          isa: isOrt ? 'mlas' : t.name.split('/')[1],
          medianMs: r.medianMs,
          gbps: c.bytes / (r.medianMs * 1e6),
          vsOrt: isOrt ? 1 : medianRatio(ortRes.perRoundMs, r.perRoundMs),
        });
      }
      await session.release();
    }
  }
  const file = writeResults('eltwise', rows, { ...machineMeta(q), rounds });
  printTable(rows, [
    { title: 'op', get: (r) => r.name },
    { title: 'shape', get: (r) => r.shape.join('x') },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'isa', get: (r) => r.isa },
    { title: 'median', get: (r) => `${fmt(r.medianMs * 1000, 1)} us` },
    { title: 'GB/s', get: (r) => fmt(r.gbps, 2) },
    { title: 'vs ort', get: (r) => (r.impl === 'onnxruntime' ? '-' : `${fmt(r.vsOrt, 2)}x`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
