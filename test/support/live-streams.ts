import { LivePartial } from '../../electron/engine/download/live-partial';

/** A body of `length` bytes of a fixed pattern, several 300,000-byte writes long. */
export function patternBody(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 131) % 253));
}

/** Writes `body` into a fresh partial as a download would (300,000 bytes a write) and returns the block digests its mark gives. */
export async function feedStream(live: LivePartial, body: Buffer): Promise<Awaited<ReturnType<LivePartial['writer']['mark']>['blocks']>> {
  for (let at = 0; at < body.length; at += 300_000) await live.writer.write(body.subarray(at, at + 300_000));
  const mark = live.writer.mark();
  await mark.written;
  return mark.blocks;
}
