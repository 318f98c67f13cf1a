import * as fs from 'node:fs';
import type { DigestAlgorithm } from '../../common/integrity';
import type { HashPool, HashSession } from './hash-pool';

/** A whole file's digests, read from disk on a hashing thread. */
export async function hashFile(pool: HashPool, file: string, algorithms: DigestAlgorithm[]): Promise<Partial<Record<DigestAlgorithm, string>>> {
  const [session] = pool.open([{ algorithms, blockSize: 0 }], []) as [HashSession];
  try {
    const size = fs.statSync(file).size;
    await session.feedFile(file, 0, size);
    return await session.final();
  } finally {
    session.close();
  }
}
