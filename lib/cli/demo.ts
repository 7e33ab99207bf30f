// `qint8 demo` (npm run demo), the README's main job: quantizes the bundled Fashion-MNIST CNN with
// every calibration method (static, backend auto) and in dynamic mode, and prints top-1 accuracy
// (float vs int8) and latency (qint8 float, qint8 int8, onnxruntime-node float when installed).
import * as path from 'node:path';
import { CALIBRATION_METHODS, type CalibrationMethod, type Feeds, type QuantizedModel, quantizeModel } from '../quant/flow';
import { autoBackend } from '../quant/qconfig';
import { cpuInfo, defaultThreads } from '../runtime';
import { InferenceSession } from '../session';
import { Tensor } from '../tensor';
import { type FlagSpec, type Io, expectPositionals, flagValue, formatSeconds, parseArgs, parseIntFlag, parseNumberFlag, table } from './args';
import { FIXTURES, type LabeledImages, calibrationSet, evaluationSet, toInput } from './fashion';
import { loadOnnxruntime, ortOptions, ortVersion, type OrtModule, type OrtSession } from './ort';
import { countOps } from './model';
import { type Runner, type Timing, interleave, medianRatio } from './timing';

export const DEMO_USAGE = `usage: qint8 demo [--limit <n>] [--seconds <s>]

Quantizes the bundled Fashion-MNIST CNN (test/fixtures/models/fashion_mnist_cnn.onnx) with every
calibration method and in dynamic mode, then prints top-1 accuracy, float vs int8, on the official
10,000 test images (Debian's dataset-fashion-mnist; else a bundled 1,000 of them) and the latency
per image at batch 1 and 8: qint8 float, qint8 int8, onnxruntime-node float (when installed).

  --limit <n>     evaluate on the first n test images only
  --seconds <s>   timing budget per batch size, shared by all models (default 4)`;

const FLAGS: Record<string, FlagSpec> = { limit: { value: true }, seconds: { value: true } };

const MODEL = path.join(FIXTURES, 'fashion_mnist_cnn.onnx');
const EVAL_BATCH = 500;

interface Runnable {
  run(feeds: Record<string, never>): Promise<Record<string, { data: unknown }>>;
}

/** Top-1 accuracy of a session on the first `limit` images of a set, in batches. */
export async function accuracy(s: Runnable, set: LabeledImages, limit: number, tensor: (x: Float32Array, n: number) => unknown): Promise<number> {
  let correct = 0;
  for (let from = 0; from < limit; from += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, limit - from);
    const out = await s.run({ image: tensor(toInput(set, from, n), n) as never });
    const logits = out.logits.data as Float32Array;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + best]) best = j;
      if (best === set.labels[from + i]) correct++;
    }
  }
  return correct / limit;
}

/** The calibration images as batches of 10, one image of each class per batch. */
function* calibrationFeeds(set: LabeledImages): Generator<Feeds> {
  const perClass = set.count / 10;
  for (let b = 0; b < perClass; b++) {
    const x = new Float32Array(10 * 784);
    for (let c = 0; c < 10; c++) x.set(toInput(set, c * perClass + b, 1), c * 784);
    yield { image: new Tensor('float32', x, [10, 1, 28, 28]) };
  }
}

/** One model of the accuracy table. */
interface Model {
  name: string;
  acc: number;
  /** The runner timing it: its own, or an earlier model's with the same fused op sequence. */
  timedAs: number;
}

/** One timed model (a row of the latency table). */
interface Timed {
  name: string;
  run: (feeds: { q: Record<string, Tensor>; o: Record<string, unknown> }) => Promise<unknown>;
  int8: boolean;
  b1?: Timing;
  b8?: Timing;
}

/** The op types a session runs, in order: int8 models with the same sequence have the same cost. */
function opSignature(qm: QuantizedModel): string {
  const c = countOps(qm.graph);
  return JSON.stringify([[...c.int8.entries()].sort(), [...c.float.entries()].sort(), c.qdq]);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, FLAGS, 'demo');
  if (p.help) {
    io.out(DEMO_USAGE + '\n');
    return 0;
  }
  expectPositionals(p, 'demo', [], 0);
  const limitArg = flagValue(p, 'limit');
  const seconds = flagValue(p, 'seconds') === undefined ? 4 : parseNumberFlag('seconds', flagValue(p, 'seconds')!, true);
  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;

  const evalSet = evaluationSet();
  const limit = limitArg === undefined ? evalSet.count : Math.min(evalSet.count, parseIntFlag('limit', limitArg));
  const calib = calibrationSet();
  const ort: OrtModule | undefined = loadOnnxruntime();
  const threads = defaultThreads();
  const info = cpuInfo();
  const backend = autoBackend(info);
  io.out(`qint8 demo: the Fashion-MNIST CNN (${path.relative(process.cwd(), MODEL) || MODEL}; 4 conv layers, 91.93% float top-1 in PyTorch)\n`);
  io.out(`  accuracy on ${limit < evalSet.count ? `the first ${limit} of ` : ''}${evalSet.source}\n`);
  io.out(`  calibration: ${calib.source}; backend auto = ${backend.backend}\n`);
  io.out(`  latency: ${threads} thread${threads > 1 ? 's' : ''}, ${info.activeIsa} kernels${ort ? `, onnxruntime-node ${ortVersion(ort)}` : ' (onnxruntime-node is not installed: no onnxruntime column)'}\n\n`);

  const qTensor = (x: Float32Array, n: number) => new Tensor('float32', x, [n, 1, 28, 28]);
  const sessionOptions = { intraOpNumThreads: threads };
  const models: Model[] = [];
  const timed: Timed[] = [];
  const signatures = new Map<string, number>();
  const sessions: InferenceSession[] = [];
  let ortSession: OrtSession | undefined;
  const step = (msg: string) => io.err(`[${formatSeconds(elapsed()).padStart(6)}] ${msg}\n`);
  try {
    const fsess = await InferenceSession.create(MODEL, sessionOptions);
    sessions.push(fsess);
    const floatAcc = await accuracy(fsess, evalSet, limit, qTensor);
    step(`float: top-1 ${pct(floatAcc)}`);
    models.push({ name: 'float', acc: floatAcc, timedAs: 0 });
    timed.push({ name: 'float (qint8)', run: (f) => fsess.run(f.q), int8: false });
    if (ort) {
      const os = await ort.InferenceSession.create(MODEL, ortOptions(threads));
      ortSession = os;
      timed.push({ name: 'float (onnxruntime)', run: (f) => os.run(f.o as never), int8: false });
    }
    const modes: (CalibrationMethod | 'dynamic')[] = [...CALIBRATION_METHODS, 'dynamic'];
    for (const m of modes) {
      const name = m === 'dynamic' ? 'dynamic' : `static ${m}`;
      const tq = elapsed();
      const qm =
        m === 'dynamic'
          ? await quantizeModel(MODEL, { mode: 'dynamic', backend: 'auto' })
          : await quantizeModel(MODEL, { backend: 'auto', calibration: { method: m }, data: calibrationFeeds(calib) });
      const tq1 = elapsed();
      const s = await qm.createSession(sessionOptions);
      sessions.push(s);
      const acc = await accuracy(s, evalSet, limit, qTensor);
      step(`${name}: quantized in ${formatSeconds(tq1 - tq)}, top-1 ${pct(acc)} (evaluated in ${formatSeconds(elapsed() - tq1)})`);
      // Static models differ only in their scales and zero points: time one per op sequence.
      const sig = `${qm.mode} ${opSignature(qm)}`;
      let t = signatures.get(sig);
      if (t === undefined) {
        t = timed.length;
        signatures.set(sig, t);
        timed.push({ name: qm.mode === 'dynamic' ? 'int8 dynamic' : 'int8 static', run: (f) => s.run(f.q), int8: true });
      }
      models.push({ name, acc, timedAs: t });
    }
    // Latency: the models alternating in one process, per batch size.
    for (const batch of [1, 8]) {
      const x = toInput(evalSet, 0, batch);
      const feeds = { q: { image: qTensor(x, batch) }, o: ort ? { image: new ort.Tensor('float32', x, [batch, 1, 28, 28]) } : {} };
      const runners: Runner[] = timed.map((r) => ({ name: r.name, fn: () => r.run(feeds), items: batch }));
      const t = await interleave(runners, { seconds, rounds: 5 });
      t.forEach((tm, i) => (batch === 1 ? (timed[i].b1 = tm) : (timed[i].b8 = tm)));
      step(`timed batch ${batch}`);
    }
  } finally {
    for (const s of sessions) s.releaseSync();
    await ortSession?.release();
  }

  // Accuracy: every method against the float model.
  const floatAcc = models[0].acc;
  const static0 = models.find((m) => m.name.startsWith('static'));
  const acc: string[][] = [['model', 'top-1', 'vs float', 'timed as']];
  for (const m of models) {
    const diff = m === models[0] ? '' : `${m.acc >= floatAcc ? '+' : '-'}${(100 * Math.abs(m.acc - floatAcc)).toFixed(2)}`;
    acc.push([m.name, pct(m.acc), diff, m === models[0] ? 'float (qint8)' : timed[m.timedAs].name]);
  }
  io.out(table(acc));
  io.out(`\nvs float: int8 top-1 minus float top-1, in points${limit < 2000 ? ` (one image is ${(100 / limit).toFixed(2)} points)` : ''}.\n`);
  if (static0 && models.every((m) => !m.name.startsWith('static') || m.timedAs === static0.timedAs))
    io.out('The static models differ only in their scales and zero points (same fused ops): one latency row for all.\n');
  io.out('\n');

  // Latency.
  const floatQ = timed[0];
  const floatO = timed.find((r) => r.name === 'float (onnxruntime)');
  const ms = (t: Timing | undefined, batch: number) => (t ? (t.medianMs / batch).toFixed(3) : '-');
  const speed = (r: Timed, base: Timed | undefined) =>
    base && r.b1 && r.b8 && base.b1 && base.b8 ? `${medianRatio(base.b1, r.b1).toFixed(2)}x / ${medianRatio(base.b8, r.b8).toFixed(2)}x` : '-';
  const head = ['latency', 'ms/image b1', 'ms/image b8', 'speedup vs qint8 float (b1 / b8)'];
  if (floatO) head.push('vs onnxruntime float');
  const lat: string[][] = [head];
  for (const r of timed) {
    const line = [r.name, ms(r.b1, 1), ms(r.b8, 8), r === floatQ ? '' : speed(r, floatQ)];
    if (floatO) line.push(r === floatO ? '' : speed(r, floatO));
    lat.push(line);
  }
  io.out(table(lat));
  io.out(
    `\nms/image: median latency per call / batch size (${threads} thread${threads > 1 ? 's' : ''}), the models timed alternately in one process (${seconds} s per batch size); speedup: median of same-round ratios.\n`,
  );
  io.out(`Dynamic mode quantizes the convs (ConvInteger; one fused op each on qint8) and MatMul / Gemm (here the last 64 x 10 layer), activations per run.\n`);
  io.out(`\nCPU: ${info.brand || info.arch}; kernel tier ${info.activeIsa}${process.env.QINT8_ISA ? ' (QINT8_ISA)' : ` (best of ${info.supportedIsas.join(', ')})`}. Kernel report: npx qint8 kernels. Done in ${formatSeconds(elapsed())}.\n`);
  return 0;
}
