// Types for the one hash-wasm module the engine loads (block-digest.ts): XXH3-128 alone,
// 20 KB, rather than the package's entry with every algorithm it has.
declare module 'hash-wasm/dist/xxhash128.umd.min.js' {
  import type { IHasher } from 'hash-wasm';
  export function createXXHash128(seedLow?: number, seedHigh?: number): Promise<IHasher>;
}
