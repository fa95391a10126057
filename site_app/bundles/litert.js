// LiteRT.js (@litertjs/core), the classifier's second CPU runtime, gathered into one ES module.
//
// Its module imports its helper by bare specifier ('@litertjs/wasm-utils'), which a worker
// cannot resolve (workers have no import maps). hooks/assets.py has esbuild bundle this file,
// with the version package-lock.json pins, into site/vendor/litertjs/litert.mjs, beside the
// WebAssembly builds it copies; site_app/litert.js imports from there. Only what litert.js uses
// is exported, and the package's version, for the diagnostics and the benchmark.

export { loadAndCompile, loadLiteRt, Tensor } from '@litertjs/core';
export { version } from '@litertjs/core/package.json';
