/** Tests write .npy files with the library's writer. */
export { serializeNpy as npyBytes } from '../../src/data/npy.ts';
