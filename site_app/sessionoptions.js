// The options the classifier's worker (worker.js) gives InferenceSession.create, beside its
// execution providers, defined once. benchmarks/ reads them from this module through a page
// of the site, so the benchmark times the classifier's own configuration.

export const SESSION_OPTIONS = Object.freeze({
  graphOptimizationLevel: 'all',
});
