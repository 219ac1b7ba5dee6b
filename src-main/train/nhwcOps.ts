/**
 * The engine's convolution and pooling ops on NHWC activations, written as slices, broadcasts and
 * matmuls. jax-js 0.1.25's wasm `lax.convGeneralDilated` is slow on these shapes (bench/training.ts, a
 * batch of 32, forward and both gradients): a 3×3 conv 1→12 channels at 30×40 takes 97 ms against 7 ms
 * as nine shifted multiply-adds, 12→24 channels at 15×20 613 ms against 32 ms as im2col + matmul, a
 * depthwise 3×3 23 against 6 ms, a pointwise 1×1 16 against 1.5 ms. Training runs about 3× faster overall.
 * Strided convolutions, depth multipliers above 1 and overlapping pools are rare in the model family
 * and keep the lax path.
 *
 * Kernels arrive in the training layout (architecture.ts): conv [outC, inC, kH, kW], depthwise
 * [C, 1, kH, kW]. Every function consumes its array arguments, as jax-js functions do.
 */
import { lax, numpy as np } from '@jax-js/jax';

type JArray = np.Array;
/** Spatial zero padding: top, left, bottom, right (BuiltLayer.pads). */
type Pads = readonly [number, number, number, number];
type Pair = readonly [number, number];

const isUnit = (p: Pair) => p[0] === 1 && p[1] === 1;

function padSpatial(x: JArray, pads: Pads): JArray {
  if (pads.every((p) => p === 0)) return x;
  return np.pad(x, [
    [0, 0],
    [pads[0], pads[2]],
    [pads[1], pads[3]],
    [0, 0],
  ]);
}

/** The kH·kW windows a stride-1 kernel reads: view (dy, dx) is padded[:, dy:dy+outH, dx:dx+outW, :]. */
function shiftedViews(x: JArray, kernel: Pair, pads: Pads): JArray[] {
  const [, h, w] = x.shape as [number, number, number, number];
  const outH = h + pads[0] + pads[2] - kernel[0] + 1;
  const outW = w + pads[1] + pads[3] - kernel[1] + 1;
  const padded = padSpatial(x, pads);
  const views: JArray[] = [];
  for (let dy = 0; dy < kernel[0]; dy++) {
    for (let dx = 0; dx < kernel[1]; dx++) views.push(padded.ref.slice([], [dy, dy + outH], [dx, dx + outW], []));
  }
  padded.dispose();
  return views;
}

/** Σ over views of view × weights[tap] (one weight per channel); `weights` is [taps, channels]. */
function weightedSum(views: JArray[], weights: JArray): JArray {
  const channels = weights.shape[1]!;
  let sum: JArray | undefined;
  views.forEach((view, tap) => {
    const term = view.mul(weights.ref.slice([tap, tap + 1], []).reshape([1, 1, 1, channels]));
    sum = sum ? sum.add(term) : term;
  });
  weights.dispose();
  return sum!;
}

function laxNchw(x: JArray, kernel: JArray, stride: Pair, pads: Pads, groups: number): JArray {
  const padPairs: [number, number][] = [
    [pads[0], pads[2]],
    [pads[1], pads[3]],
  ];
  return lax.convGeneralDilated(x.transpose([0, 3, 1, 2]), kernel, [...stride], padPairs, { featureGroupCount: groups }).transpose([0, 2, 3, 1]);
}

/** Pointwise (1×1) convolution: one matmul over every pixel. `kernel` is [outC, inC, 1, 1]. */
export function pointwiseConv(x: JArray, kernel: JArray): JArray {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = kernel.shape[0]!;
  return np.matmul(x.reshape([n * h * w, c]), kernel.reshape([out, c]).transpose()).reshape([n, h, w, out]);
}

/** Full convolution, NHWC in and out. */
export function conv2d(x: JArray, kernel: JArray, stride: Pair, pads: Pads): JArray {
  if (!isUnit(stride)) return laxNchw(x, kernel, stride, pads, 1);
  const [out, inC, kh, kw] = kernel.shape as [number, number, number, number];
  if (kh === 1 && kw === 1 && pads.every((p) => p === 0)) return pointwiseConv(x, kernel);
  const views = shiftedViews(x, [kh, kw], pads);
  // One input channel: nine broadcast multiply-adds beat building a 9-column matrix.
  if (inC === 1) return weightedSum(views, kernel.reshape([out, kh * kw]).transpose());
  const [n, oh, ow] = views[0]!.shape as [number, number, number, number];
  // im2col: column index = tap · inC + channel, matching the kernel read as [kH, kW, inC, outC].
  const columns = np.concatenate(views, 3).reshape([n * oh * ow, kh * kw * inC]);
  return np.matmul(columns, kernel.transpose([2, 3, 1, 0]).reshape([kh * kw * inC, out])).reshape([n, oh, ow, out]);
}

/** Depthwise convolution (one filter per channel), NHWC in and out; `kernel` is [C·multiplier, 1, kH, kW]. */
export function depthwiseConv(x: JArray, kernel: JArray, stride: Pair, pads: Pads): JArray {
  const channels = x.shape[3]!;
  const [outC, , kh, kw] = kernel.shape as [number, number, number, number];
  if (!isUnit(stride) || outC !== channels) return laxNchw(x, kernel, stride, pads, channels);
  return weightedSum(shiftedViews(x, [kh, kw], pads), kernel.reshape([channels, kh * kw]).transpose());
}

/** Max or average pooling with 'valid' windows, NHWC in and out. */
export function pool(x: JArray, kind: 'max' | 'mean', size: Pair, stride: Pair): JArray {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (size[0] !== stride[0] || size[1] !== stride[1]) {
    const reduce = kind === 'max' ? (win: JArray) => np.max(win) : (win: JArray) => np.mean(win);
    return lax.reduceWindow(x.transpose([0, 3, 1, 2]), reduce, [...size], [...stride]).transpose([0, 2, 3, 1]);
  }
  // Non-overlapping windows are a reshape: [n, outH, sizeH, outW, sizeW, c], reduced over the window axes.
  const oh = Math.floor(h / size[0]);
  const ow = Math.floor(w / size[1]);
  const whole = oh * size[0] === h && ow * size[1] === w ? x : x.slice([], [0, oh * size[0]], [0, ow * size[1]], []);
  const windows = whole.reshape([n, oh, size[0], ow, size[1], c]);
  return kind === 'max' ? windows.max([2, 4]) : windows.mean([2, 4]);
}
