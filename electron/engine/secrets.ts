import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { restrictFile } from './data-dir';

/**
 * Keeps secrets (upload destinations' Authorization headers, API keys) out of the store in
 * clear. The desktop app seals them with Electron's safeStorage (the OS keychain); `ferry
 * serve` with a key file in the data directory, readable by its owner only, which keeps
 * them out of the database and its backups but is no stronger than the account itself.
 */
export interface SecretBox {
  readonly kind: 'os-keychain' | 'key-file';
  seal(plain: string): Promise<string>;
  unseal(sealed: string): Promise<string>;
}

/** Every sealed value starts with this, so a header value says whether it needs unsealing. */
export const SEALED_PREFIX = 'ferry-sealed:';

export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** The headers as they go on the wire: sealed values opened, the rest as they are. */
export async function unsealHeaders(box: SecretBox | null, headers: Array<[string, string]>): Promise<Array<[string, string]>> {
  if (!headers.some(([, v]) => isSealed(v))) return headers;
  if (!box) throw new Error('a header is sealed but no secret store is available to open it; set the header again');
  return Promise.all(headers.map(async ([k, v]): Promise<[string, string]> => [k, isSealed(v) ? await box.unseal(v) : v]));
}

/** A value could not be sealed (no keychain, an unwritable key file): nothing was stored. */
export class SealError extends Error {
  constructor(kind: SecretBox['kind'], cause: unknown) {
    super(`cannot seal a header value with the ${kind === 'os-keychain' ? "system's keychain" : 'key file in the data directory'} (${cause instanceof Error ? cause.message : String(cause)}); nothing was added`);
    this.name = 'SealError';
  }
}

/**
 * Seals header values for the store. Equal values are sealed once per sealer: ten thousand
 * links pasted with one token ask the OS keychain once, not ten thousand times.
 */
export class HeaderSealer {
  private readonly sealed = new Map<string, Promise<string>>();

  constructor(private readonly box: SecretBox) {}

  /** Every value sealed, whatever it looks like: a person may type anything. */
  seal(headers: ReadonlyArray<readonly [string, string]>): Promise<Array<[string, string]>> {
    return Promise.all(
      headers.map(async ([name, value]): Promise<[string, string]> => {
        let sealed = this.sealed.get(value);
        if (!sealed) {
          sealed = this.box.seal(value).catch((error: unknown) => {
            throw new SealError(this.box.kind, error);
          });
          this.sealed.set(value, sealed);
        }
        return [name, await sealed];
      }),
    );
  }
}

/** The names of headers whose values are not sealed (the values themselves are never named). */
export function unsealedHeaderNames(headers: ReadonlyArray<readonly [string, string]>): string[] {
  return headers.filter(([, value]) => !isSealed(value)).map(([name]) => name);
}

const KEY_FILE = 'secret.key';
const KEY_TAG = `${SEALED_PREFIX}kf1:`;

/** AES-256-GCM under a random key kept in `<dataDir>/secret.key` (mode 0600). */
export class KeyFileSecretBox implements SecretBox {
  readonly kind = 'key-file';
  private key: Buffer | null = null;

  constructor(private readonly dataDir: string) {}

  private loadKey(create: boolean): Buffer {
    if (this.key) return this.key;
    const file = path.join(this.dataDir, KEY_FILE);
    try {
      this.key = fs.readFileSync(file);
      restrictFile(file); // a key file copied in with wider bits is made the owner's again
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw new Error(`cannot read the secret key ${file}: ${(error as Error).message}`);
      const key = crypto.randomBytes(32);
      // 'wx': never replace a key another process just wrote (secrets sealed with it would be lost).
      fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
      this.key = key;
    }
    if (this.key.length !== 32) throw new Error(`the secret key ${file} is damaged (${this.key.length} bytes); remove it and enter the secrets again`);
    return this.key;
  }

  async seal(plain: string): Promise<string> {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.loadKey(true), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return KEY_TAG + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  async unseal(sealed: string): Promise<string> {
    if (!sealed.startsWith(KEY_TAG)) throw new Error('this secret was sealed by the desktop app (OS keychain); enter it again here');
    const raw = Buffer.from(sealed.slice(KEY_TAG.length), 'base64');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.loadKey(false), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
