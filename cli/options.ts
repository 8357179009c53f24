/** The global flags every command shares, checked by one schema into a typed object. */
import { z } from 'zod';
import { BACKEND_NAMES } from '../src/backend/select-backend.ts';
import { MAX_WASM_THREADS } from '../src/backend/wasm-threads.ts';

const MAX_TENSOR_BYTES_MESSAGE = '--max-tensor-bytes: expected a positive whole number of bytes';

export const globalOptionsSchema = z.object({
  backend: z
    .enum(BACKEND_NAMES, {
      error: (issue) =>
        `--backend: unknown backend '${String(issue.input)}' (expected one of ${BACKEND_NAMES.join(', ')})`,
    })
    .optional(),
  seed: z.coerce
    .number({ error: () => '--seed: expected a non-negative integer' })
    .int('--seed: expected a non-negative integer')
    .min(0, '--seed: expected a non-negative integer')
    .default(0),
  threads: z.coerce
    .number({ error: () => `--threads: expected an integer from 1 to ${MAX_WASM_THREADS}` })
    .int(`--threads: expected an integer from 1 to ${MAX_WASM_THREADS}`)
    .min(1, `--threads: expected an integer from 1 to ${MAX_WASM_THREADS}`)
    .max(MAX_WASM_THREADS, `--threads: expected an integer from 1 to ${MAX_WASM_THREADS}`)
    .optional(),
  maxTensorBytes: z.coerce
    .number({ error: () => MAX_TENSOR_BYTES_MESSAGE })
    .int(MAX_TENSOR_BYTES_MESSAGE)
    .positive(MAX_TENSOR_BYTES_MESSAGE)
    .max(Number.MAX_SAFE_INTEGER, MAX_TENSOR_BYTES_MESSAGE)
    .optional(),
  debug: z.boolean().default(false),
  onnxruntime: z.boolean().default(true),
});

export type GlobalOptions = z.infer<typeof globalOptionsSchema>;
