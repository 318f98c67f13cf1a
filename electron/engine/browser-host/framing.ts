/**
 * The browser's native-messaging framing (Chromium and Firefox alike): each message is a
 * 32-bit length in the machine's byte order, then that many bytes of UTF-8 JSON. A length
 * past the limit means the stream can no longer be trusted: the reader stops there.
 */
import * as os from 'node:os';

export type Frame = { ok: true; message: unknown } | { ok: false; reason: string };

const LITTLE = os.endianness() === 'LE';

/** One message as the browser expects it. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  if (LITTLE) header.writeUInt32LE(body.length);
  else header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/**
 * Splits a byte stream into messages. `push` returns what the new bytes completed: a parsed
 * message, or why a frame was not one (not UTF-8 JSON). After a frame over `maxBytes` the
 * reader is `broken` and returns nothing more.
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  broken: string | null = null;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Frame[] {
    if (this.broken) return [];
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= 4) {
      const length = LITTLE ? this.buffered.readUInt32LE(0) : this.buffered.readUInt32BE(0);
      if (length > this.maxBytes) {
        this.broken = `a message of ${length} bytes is over the limit of ${this.maxBytes}`;
        this.buffered = Buffer.alloc(0);
        frames.push({ ok: false, reason: this.broken });
        return frames;
      }
      if (this.buffered.length < 4 + length) break;
      const body = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      frames.push(parseBody(body));
    }
    return frames;
  }

  /** Bytes of an unfinished frame left when the stream ended. */
  get leftover(): number {
    return this.buffered.length;
  }
}

function parseBody(body: Buffer): Frame {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decoded: string;
  try {
    decoded = text.decode(body);
  } catch {
    return { ok: false, reason: 'the message is not UTF-8' };
  }
  try {
    return { ok: true, message: JSON.parse(decoded) as unknown };
  } catch {
    return { ok: false, reason: 'the message is not JSON' };
  }
}
