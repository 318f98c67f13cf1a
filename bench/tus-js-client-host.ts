/**
 * Uploads files with tus-js-client, `concurrency` at a time, the way an app using it
 * would drive it (a Buffer each, one upload per file). The peer for bench/upload.
 * Arguments: endpoint, concurrency, then the files. Prints one JSON line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Upload } from 'tus-js-client';

async function uploadOne(endpoint: string, file: string): Promise<void> {
  const body = await fs.promises.readFile(file);
  await new Promise<void>((resolve, reject) => {
    const upload = new Upload(body, {
      endpoint,
      metadata: { filename: path.basename(file), filetype: 'application/octet-stream' },
      retryDelays: [0, 500, 1000],
      onError: reject,
      onSuccess: () => resolve(),
    });
    upload.start();
  });
}

async function main(): Promise<void> {
  const [endpoint, concurrency, ...files] = process.argv.slice(2);
  const queue = [...files];
  const workers = Array.from({ length: Number(concurrency) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) await uploadOne(endpoint!, file);
  });
  await Promise.all(workers);
  process.stdout.write(`${JSON.stringify({ uploaded: files.length, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

void main();
