// Class activation maps, from the model's low-resolution map to what the page draws: the
// worker (worker.js) runs these on the maps the model file outputs (export/cam.py). No DOM.
//
// The model saw the whole photo resized to its input grid (no crop), so a map over that grid
// lies over the whole photo: the page stretches it onto the preview.

// Bilinear upsampling with half-pixel centres, as PyTorch's
// interpolate(mode='bilinear', align_corners=False): the export's parity check upsamples the
// PyTorch map the same way (export/cam.py, upsample).
export function upsample(map, h, w, outH, outW) {
  const out = new Float32Array(outH * outW);
  const axis = (n, inN) => {
    const scale = inN / n;
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const t = new Float32Array(n);
    for (let o = 0; o < n; o++) {
      const src = Math.max(0, (o + 0.5) * scale - 0.5);
      i0[o] = Math.min(Math.floor(src), inN - 1);
      i1[o] = Math.min(i0[o] + 1, inN - 1);
      t[o] = src - i0[o];
    }
    return { i0, i1, t };
  };
  const ys = axis(outH, h);
  const xs = axis(outW, w);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y] * w;
    const r1 = ys.i1[y] * w;
    const ty = ys.t[y];
    for (let x = 0; x < outW; x++) {
      const c0 = xs.i0[x];
      const c1 = xs.i1[x];
      const tx = xs.t[x];
      const top = map[r0 + c0] * (1 - tx) + map[r0 + c1] * tx;
      const bottom = map[r1 + c0] * (1 - tx) + map[r1 + c1] * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

// Scale to 0..1 (lowest to highest evidence); a constant map becomes all zeros.
export function normalize(grid) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of grid) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(grid.length);
  const range = hi - lo;
  if (range > 0) for (let i = 0; i < grid.length; i++) out[i] = (grid[i] - lo) / range;
  return out;
}

const ROWS = ['upper', 'middle', 'lower'];
const COLUMNS = ['left', 'centre', 'right'];

// Where the map is strongest, in words: the third of the photo (across and down) that holds
// its peak, and how much of the photo is at least half as strong. The text alternative of
// the drawn map.
export function describe(norm, width, height) {
  let peak = 0;
  let strong = 0;
  for (let i = 0; i < norm.length; i++) {
    if (norm[i] > norm[peak]) peak = i;
    if (norm[i] >= 0.5) strong++;
  }
  const x = (peak % width) + 0.5;
  const y = Math.floor(peak / width) + 0.5;
  const row = ROWS[Math.min(2, Math.floor((3 * y) / height))];
  const column = COLUMNS[Math.min(2, Math.floor((3 * x) / width))];
  const region = row === 'middle' && column === 'centre' ? 'centre' : row === 'middle' ? `middle ${column}` : `${row} ${column}`;
  return { region, peak: { x: x / width, y: y / height }, strongShare: strong / norm.length };
}

// The colour scale, low to high evidence: transparent, then blue, green, yellow, red, more
// opaque as the evidence grows, so that the photo shows through where the map is weak.
const STOPS = [
  [0.0, [40, 30, 110, 0]],
  [0.25, [40, 110, 220, 90]],
  [0.5, [30, 190, 140, 150]],
  [0.75, [250, 200, 40, 200]],
  [1.0, [215, 35, 30, 235]],
];

export function colorize(norm) {
  const rgba = new Uint8ClampedArray(norm.length * 4);
  for (let i = 0; i < norm.length; i++) {
    const v = norm[i];
    let s = 1;
    while (s < STOPS.length - 1 && v > STOPS[s][0]) s++;
    const [v0, c0] = STOPS[s - 1];
    const [v1, c1] = STOPS[s];
    const t = Math.min(1, Math.max(0, (v - v0) / (v1 - v0)));
    for (let k = 0; k < 4; k++) rgba[4 * i + k] = c0[k] + (c1[k] - c0[k]) * t;
  }
  return rgba;
}
