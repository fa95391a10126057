// From logits to what the page shows: pure functions, no DOM.

// Softmax in float64, shifted by the maximum as export/pipeline.py's softmax() is, so the
// probabilities compare with the manifest's reference_top5 to the last digits that matter.
export function softmax(logits) {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const e = new Float64Array(logits.length);
  let total = 0.0;
  for (let i = 0; i < logits.length; i++) {
    e[i] = Math.exp(logits[i] - max);
    total += e[i];
  }
  for (let i = 0; i < e.length; i++) e[i] /= total;
  return e;
}

// The k most probable classes, highest first: [{index, prob}], as in the manifest.
export function topK(probs, k = 5) {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, k).map((index) => ({ index, prob: probs[index] }));
}
