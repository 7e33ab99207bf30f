// 2-D Resize of NHWC int8 tensors (ONNX Resize on H and W; the qparams are unchanged).
import { checkObject, typeName } from '../check';
import { opsNative as native } from './native-ops';
import { type OpOptions, type QArray, checkOptions, checkShape, dtypeCode, dtypeOf, isaOf, outBuffer } from './qtensor';
import type { NhwcTensor } from './pool';

export type ResizeMode = 'nearest' | 'linear';
export type CoordinateTransformationMode = 'half_pixel' | 'asymmetric' | 'align_corners' | 'pytorch_half_pixel' | 'tf_half_pixel_for_nn';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

const COORD: Record<CoordinateTransformationMode, number> = {
  half_pixel: 0,
  asymmetric: 1,
  align_corners: 2,
  pytorch_half_pixel: 3,
  tf_half_pixel_for_nn: 4,
};
const NEAREST: Record<NearestMode, number> = { round_prefer_floor: 0, round_prefer_ceil: 1, floor: 2, ceil: 3 };

export interface ResizeParams {
  /** Output [OH, OW]; or give scales. */
  sizes?: readonly [number, number];
  /** [scaleH, scaleW] (> 0): output = floor(scale * input) in float32, as onnxruntime computes it. */
  scales?: readonly [number, number];
  /** Default 'nearest'. */
  mode?: ResizeMode;
  /** Default 'half_pixel'. */
  coordinateTransformationMode?: CoordinateTransformationMode;
  /** nearest mode only; default 'round_prefer_floor'. */
  nearestMode?: NearestMode;
}

interface Plan {
  shape: [number, number, number, number];
  oh: number;
  ow: number;
  sh: number;
  sw: number;
}

function plan(shape: unknown, length: number, params: ResizeParams): Plan {
  const s = checkShape(shape, 'x.shape');
  if (s.length !== 4) throw new RangeError(`x.shape must be [N, H, W, C], got rank ${s.length}`);
  if (s.reduce((a, b) => a * b, 1) !== length) throw new RangeError(`x.shape [${s.join(', ')}] does not match x.data (${length} elements)`);
  const [, h, w] = s;
  if (h < 1 || w < 1) throw new RangeError('x must have H, W >= 1');
  const p = checkObject(params, 'params');
  if ((p.sizes === undefined) === (p.scales === undefined)) throw new TypeError('give exactly one of params.sizes and params.scales');
  let oh: number, ow: number, sh: number, sw: number;
  if (p.sizes !== undefined) {
    const z = checkShape(p.sizes, 'params.sizes');
    if (z.length !== 2 || z[0] < 1 || z[1] < 1) throw new RangeError('params.sizes must be [OH, OW] with both >= 1');
    [oh, ow] = z;
    sh = Math.fround(Math.fround(oh) / Math.fround(h));
    sw = Math.fround(Math.fround(ow) / Math.fround(w));
  } else {
    const sc = p.scales as unknown;
    if (!Array.isArray(sc) || sc.length !== 2) throw new TypeError(`params.scales must be [scaleH, scaleW], got ${typeName(sc)}`);
    sc.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v)) || !(Math.fround(v) > 0)) throw new RangeError(`params.scales[${i}] must be a finite number > 0, got ${String(v)}`);
    });
    [sh, sw] = [Math.fround(sc[0]), Math.fround(sc[1])];
    oh = native().resizeOutputSize(h, sh);
    ow = native().resizeOutputSize(w, sw);
    if (oh < 1 || ow < 1) throw new RangeError(`params.scales give an empty output (${oh} x ${ow})`);
  }
  return { shape: [s[0], s[1], s[2], s[3]], oh, ow, sh, sw };
}

/** Output shape [N, OH, OW, C] of resize(). */
export function resizeOutputShape(shape: readonly number[], params: ResizeParams): [number, number, number, number] {
  const p = plan(shape, (shape as number[]).reduce((a, b) => a * b, 1), params);
  return [p.shape[0], p.oh, p.ow, p.shape[3]];
}

export function resize(x: NhwcTensor, params: ResizeParams, options?: OpOptions): QArray {
  const t = checkObject(x, 'x');
  const dtype = dtypeOf(t.data, 'x.data');
  const data = t.data as QArray;
  const pl = plan(t.shape, data.length, params);
  const mode = params.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear') throw new TypeError(`params.mode must be 'nearest' or 'linear', got ${String(mode)}`);
  const coord = params.coordinateTransformationMode ?? 'half_pixel';
  if (!(coord in COORD)) throw new TypeError(`params.coordinateTransformationMode must be one of ${Object.keys(COORD).join(', ')}, got ${String(coord)}`);
  const nearest = params.nearestMode ?? 'round_prefer_floor';
  if (!(nearest in NEAREST)) throw new TypeError(`params.nearestMode must be one of ${Object.keys(NEAREST).join(', ')}, got ${String(nearest)}`);
  const opts = checkOptions(options);
  const out = outBuffer(opts, dtype, pl.shape[0] * pl.oh * pl.ow * pl.shape[3]);
  return native().resize2d(
    dtypeCode(dtype),
    data,
    [...pl.shape, pl.oh, pl.ow],
    pl.sh,
    pl.sw,
    mode === 'nearest' ? 0 : 1,
    COORD[coord],
    NEAREST[nearest],
    out,
    isaOf(opts),
  );
}
