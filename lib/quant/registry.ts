// Observers by name: build one from a plain spec ({ observer: 'HistogramObserver', ...options },
// what the qconfig presets hold) and restore one from its JSON snapshot.
import { isObject, typeName } from '../check';
import { EntropyCalibrator, MseCalibrator, PercentileCalibrator } from './calibrators';
import {
  FixedQParamsObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  NoopObserver,
  Observer,
  type ObserverJSON,
  type ObserverKind,
  PerChannelMinMaxObserver,
  PlaceholderObserver,
  RecordingObserver,
} from './observers';

/** A plain description of an observer: its class name and its constructor options. */
export interface ObserverSpec {
  observer: ObserverKind;
  [option: string]: unknown;
}

const FACTORIES: Record<ObserverKind, (o: Record<string, unknown>) => Observer> = {
  MinMaxObserver: (o) => new MinMaxObserver(o),
  MovingAverageMinMaxObserver: (o) => new MovingAverageMinMaxObserver(o),
  PerChannelMinMaxObserver: (o) => new PerChannelMinMaxObserver(o),
  MovingAveragePerChannelMinMaxObserver: (o) => new MovingAveragePerChannelMinMaxObserver(o),
  HistogramObserver: (o) => new HistogramObserver(o),
  FixedQParamsObserver: (o) => {
    const { scale, zeroPoint, ...rest } = o;
    return new FixedQParamsObserver(scale as number, zeroPoint as number, rest);
  },
  PlaceholderObserver: (o) => new PlaceholderObserver(o),
  NoopObserver: (o) => new NoopObserver(o),
  RecordingObserver: (o) => new RecordingObserver(o),
  EntropyCalibrator: (o) => new EntropyCalibrator(o),
  MseCalibrator: (o) => new MseCalibrator(o),
  PercentileCalibrator: (o) => new PercentileCalibrator(o),
};

export const OBSERVER_KINDS = Object.keys(FACTORIES) as ObserverKind[];

function factory(kind: unknown): (o: Record<string, unknown>) => Observer {
  const f = typeof kind === 'string' ? FACTORIES[kind as ObserverKind] : undefined;
  if (!f) throw new TypeError(`unknown observer '${String(kind)}' (known: ${OBSERVER_KINDS.join(', ')})`);
  return f;
}

/** A new observer from a spec such as qconfig('x86').activation. */
export function createObserver(spec: ObserverSpec): Observer {
  if (!isObject(spec)) throw new TypeError(`spec must be an object, got ${typeName(spec)}`);
  const { observer, ...options } = spec;
  const o = factory(observer)(options);
  // A misspelt option would otherwise be ignored silently (PyTorch raises on unknown kwargs).
  const known = new Set(Object.keys(o.options));
  const unknown = Object.keys(options).filter((k) => options[k] !== undefined && !known.has(k));
  if (unknown.length) throw new TypeError(`unknown option${unknown.length > 1 ? 's' : ''} for ${String(observer)}: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return o;
}

/** Restores an observer from toJSON() (or its JSON.parse'd text). */
export function observerFromJSON(json: ObserverJSON | string): Observer {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as ObserverJSON;
  if (!isObject(j)) throw new TypeError(`json must be an observer snapshot, got ${typeName(j)}`);
  if (j.version !== 1) throw new RangeError(`unsupported observer snapshot version ${String(j.version)}`);
  if (!isObject(j.options) || !isObject(j.state) || !isObject(j.nonFinite))
    throw new TypeError('observer snapshot needs options, state and nonFinite objects');
  const o = factory(j.kind)({ ...j.options });
  return o.restore(j);
}
