// Image preprocessing: the arithmetic of export/preprocess.py, in JavaScript.
//
// Pure functions, no DOM: decoded pixels in, an NCHW Float32Array out. The manifest's
// reference probabilities were computed with the Python module, so every step here copies
// it exactly: separable resampling in float64 with pixel centres at i + 0.5, a kernel that
// widens with the downscale factor (antialias), weights normalised per output pixel, then
// the centre crop, x / 255, (x - mean) / std, and only at the very end a float32 rounding
// (as numpy's astype(float32)). tests/e2e/test_classifier_preprocess.py runs these
// functions in Chromium against the Python module on the same random pixels.

// Python's round() and np.round() round halves to even ("banker's rounding"); Math.round
// rounds them up, which would shift a centre crop by one pixel or a flattened alpha by one.
export function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// Triangle (support 1) and Keys cubic with a = -0.5 (support 2), as in export/preprocess.py.
export function kernelFor(interpolation) {
  if (interpolation === 'bilinear') {
    return { support: 1.0, fn: (x) => Math.max(1.0 - Math.abs(x), 0.0) };
  }
  if (interpolation === 'bicubic') {
    const a = -0.5;
    const fn = (t) => {
      const x = Math.abs(t);
      if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
      if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
      return 0.0;
    };
    return { support: 2.0, fn };
  }
  throw new Error(`unknown interpolation ${JSON.stringify(interpolation)}: expected 'bilinear' or 'bicubic'`);
}

// One row per output pixel: the first input tap and its normalised weights. This is the
// sparse form of resample_weights()'s (out_size, in_size) matrix.
export function resampleWeights(inSize, outSize, interpolation) {
  const { support, fn } = kernelFor(interpolation);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1.0); // widen the kernel when shrinking (antialias)
  const radius = support * filterScale;
  const rows = new Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(Math.floor(centre - radius), 0);
    const hi = Math.min(Math.ceil(centre + radius), inSize);
    const weights = new Float64Array(Math.max(hi - lo, 0));
    let total = 0.0;
    for (let t = lo; t < hi; t++) {
      const w = fn((t + 0.5 - centre) / filterScale);
      weights[t - lo] = w;
      total += w;
    }
    for (let k = 0; k < weights.length; k++) weights[k] = total !== 0 ? weights[k] / total : 0.0;
    rows[i] = { start: lo, weights };
  }
  return rows;
}

// (resizedH, resizedW, cropTop, cropLeft), exactly like resize_plan(): the long side is
// truncated with int() as torchvision does, the crop offset rounded with Python's round().
export function resizePlan(height, width, p) {
  if (p.resize_mode === 'plain') return [p.input_size, p.input_size, 0, 0];
  if (p.resize_mode !== 'shorter_side_then_center_crop') {
    throw new Error(`unknown resize_mode ${JSON.stringify(p.resize_mode)}`);
  }
  let rh, rw;
  if (height <= width) {
    rh = p.resize_size;
    rw = Math.max(1, Math.trunc((p.resize_size * width) / height));
  } else {
    rh = Math.max(1, Math.trunc((p.resize_size * height) / width));
    rw = p.resize_size;
  }
  const top = roundHalfEven((rh - p.crop_size) / 2.0);
  const left = roundHalfEven((rw - p.crop_size) / 2.0);
  return [rh, rw, top, left];
}

// Interleaved 8-bit pixels with 1, 3 or 4 channels -> interleaved RGB (Uint8Array).
// Grey is repeated into three channels; alpha is flattened onto white and rounded half to
// even, as to_rgb() does with np.round.
export function toRgb(pixels, width, height, channels) {
  const n = width * height;
  if (pixels.length !== n * channels) {
    throw new Error(`expected ${n * channels} values for ${width}x${height}x${channels}, got ${pixels.length}`);
  }
  const rgb = new Uint8Array(n * 3);
  if (channels === 3) {
    rgb.set(pixels);
  } else if (channels === 1) {
    for (let i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels[i];
  } else if (channels === 4) {
    for (let i = 0; i < n; i++) {
      const alpha = pixels[4 * i + 3] / 255.0;
      for (let c = 0; c < 3; c++) {
        rgb[3 * i + c] = roundHalfEven(pixels[4 * i + c] * alpha + 255.0 * (1.0 - alpha));
      }
    }
  } else {
    throw new Error(`expected 1, 3 or 4 channels, got ${channels}`);
  }
  return rgb;
}

// The whole pipeline: pixels (1, 3 or 4 channels, 8-bit, row-major) -> {data, dims} with
// data a (1, 3, S, S) Float32Array. Only the cropped window of the resized image is
// computed: each output pixel depends on its own weights alone, so the numbers are the
// ones Python gets by resizing everything and cropping afterwards.
export function preprocess(pixels, width, height, channels, p) {
  const rgb = toRgb(pixels, width, height, channels);
  const [rh, rw, top, left] = resizePlan(height, width, p);
  const size = p.resize_mode === 'plain' ? p.input_size : p.crop_size;
  const rows = resampleWeights(height, rh, p.interpolation).slice(top, top + size);
  const cols = resampleWeights(width, rw, p.interpolation).slice(left, left + size);

  // vertical pass: size rows x full width x 3, float64
  const mid = new Float64Array(size * width * 3);
  for (let o = 0; o < size; o++) {
    const { start, weights } = rows[o];
    const out = o * width * 3;
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k];
      if (w === 0) continue; // a zero tap adds nothing, in float64 as in numpy
      const src = (start + k) * width * 3;
      for (let j = 0; j < width * 3; j++) mid[out + j] += w * rgb[src + j];
    }
  }

  // horizontal pass, then normalise into planar (NCHW) float32
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  const mean = p.mean;
  const std = p.std;
  for (let o = 0; o < size; o++) {
    for (let q = 0; q < size; q++) {
      const { start, weights } = cols[q];
      let r = 0.0, g = 0.0, b = 0.0;
      for (let k = 0; k < weights.length; k++) {
        const w = weights[k];
        const src = (o * width + start + k) * 3;
        r += w * mid[src];
        g += w * mid[src + 1];
        b += w * mid[src + 2];
      }
      const at = o * size + q;
      data[at] = (r / 255.0 - mean[0]) / std[0];
      data[plane + at] = (g / 255.0 - mean[1]) / std[1];
      data[2 * plane + at] = (b / 255.0 - mean[2]) / std[2];
    }
  }
  return { data, dims: [1, 3, size, size] };
}
