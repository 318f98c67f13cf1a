import type { TransferRecord, UploadProtocol } from '../../common/transfer';

/** What TransferStore (transfers.ts) takes and gives besides whole records: kept apart so that file stays within its size. */

export interface NewDownload {
  url: string;
  dir: string;
  requestedName: string | null;
  headers: Array<[string, string]>;
  userChecksum: TransferRecord['userChecksum'];
  sidecar?: TransferRecord['sidecar'];
  blockSize: number;
  /** Other links to the same file, tried in order when the first fails. */
  mirrors?: string[];
  pieces?: TransferRecord['pieces'];
}

export interface NewUpload {
  url: string;
  source: string;
  dir: string;
  name: string;
  relativePath: string | null;
  protocol: UploadProtocol;
  headers: Array<[string, string]>;
  blockSize: number;
}

export interface Checkpoint {
  offset: number;
  /** Newly completed blocks: index and SHA-256 hex. */
  blocks: Array<[number, string]>;
  tailDigest: string | null;
}

/** What the queue needs of a transfer to place it (TransferStore.queueEntry). */
export type QueueEntry = Pick<TransferRecord, 'id' | 'state' | 'priority' | 'seq' | 'url' | 'effectiveUrl'>;
