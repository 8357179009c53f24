// The pthread worker of tfjs-backend-wasm's threaded SIMD build, as a file: tfjs hands its
// workers a Blob URL, which Node's worker_threads cannot load. The script is tfjs's own text,
// run with this module's require and filename (which it expects as globals of a CommonJS file).
'use strict';
const {
  wasmWorkerContents,
} = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
// tfjs escapes the newlines inside its string literals the same way before making its Blob.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
