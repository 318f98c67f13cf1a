/**
 * Runtime schemas for what crosses a process or network boundary. TypeScript types vanish
 * at runtime; a message from a window, a WebSocket or a fuzzer is `unknown` until one of
 * these has checked it. A failed check names the field and what was expected, so the
 * answer a client gets says what to change.
 */
import { type Result, err, ok } from './result';

/**
 * `T` is what a value is once checked; `I` what a caller may write (an optional field may
 * be left out there, and reads as null once checked).
 */
export interface Schema<T, I = T> {
  /** Checks `value`; throws SchemaViolation naming the field otherwise. */
  check(value: unknown, at: string): T;
  /** What the schema accepts, in words, for error messages. */
  readonly expects: string;
  /** Type-level only: what a caller may write. */
  readonly _input?: I;
}

export type Infer<S> = S extends Schema<infer T, unknown> ? T : never;
export type InferInput<S> = S extends Schema<unknown, infer I> ? I : never;

export class SchemaViolation extends Error {
  constructor(
    readonly at: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${at || 'the argument'} must be ${expected}; got ${describeValue(got, mayHoldSecret(at))}`);
    this.name = 'SchemaViolation';
  }
}

/**
 * A field that may carry a credential (a header, a URL with user:pass@, anything named
 * like a secret): its value is never repeated in an error, which can end up in a log.
 */
function mayHoldSecret(at: string): boolean {
  return /header|secret|token|password|auth|cookie|key/i.test(at);
}

function describeValue(value: unknown, secret = false): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') {
    if (value.length > 40 || secret) return `a string of ${value.length} characters`;
    // A URL's password is masked: "ftp://me:***@host/".
    return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@'));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

function schema<T, I = T>(expects: string, check: (value: unknown, at: string) => T): Schema<T, I> {
  return { expects, check };
}

function fail(at: string, expects: string, value: unknown): never {
  throw new SchemaViolation(at, expects, value);
}

export function validate<T>(s: Schema<T, unknown>, value: unknown, at = ''): Result<T, SchemaViolation> {
  try {
    return ok(s.check(value, at));
  } catch (error) {
    if (error instanceof SchemaViolation) return err(error);
    throw error;
  }
}

/** A string of 1..max characters (or 0.. with `allowEmpty`), without NUL. */
export function string(options: { max?: number; allowEmpty?: boolean; pattern?: RegExp; expects?: string } = {}): Schema<string> {
  const max = options.max ?? 4096;
  const expects = options.expects ?? `a string of ${options.allowEmpty ? 0 : 1} to ${max} characters`;
  return schema(expects, (value, at) => {
    if (typeof value !== 'string' || value.length > max || (!options.allowEmpty && value.length === 0) || value.includes('\0')) fail(at, expects, value);
    if (options.pattern && !options.pattern.test(value)) fail(at, expects, value);
    return value;
  });
}

export function integer(min: number, max: number): Schema<number> {
  const expects = `a whole number from ${min} to ${max}`;
  return schema(expects, (value, at) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(at, expects, value);
    return value;
  });
}

export const boolean: Schema<boolean> = schema('true or false', (value, at) => (typeof value === 'boolean' ? value : fail(at, 'true or false', value)));

export function literal<const T extends string>(...values: T[]): Schema<T> {
  const expects = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return schema(expects, (value, at) => ((values as unknown[]).includes(value) ? (value as T) : fail(at, expects, value)));
}

export function nullable<T, I>(inner: Schema<T, I>): Schema<T | null, I | null> {
  const expects = `${inner.expects} or null`;
  return schema(expects, (value, at) => (value === null ? null : inner.check(value, at)));
}

/** A field that may be left out (undefined) or null; both read as null. */
export function optional<T, I>(inner: Schema<T, I>): Schema<T | null, I | null | undefined> {
  const expects = `${inner.expects}, or left out`;
  return schema(expects, (value, at) => (value === null || value === undefined ? null : inner.check(value, at)));
}

export function array<T, I>(item: Schema<T, I>, options: { min?: number; max: number }): Schema<T[], I[]> {
  const min = options.min ?? 0;
  const expects = `a list of ${min} to ${options.max} items, each ${item.expects}`;
  return schema(expects, (value, at) => {
    if (!Array.isArray(value) || value.length < min || value.length > options.max) fail(at, expects, value);
    return value.map((v, i) => item.check(v, `${at}[${i}]`));
  });
}

export function tuple<A, B>(a: Schema<A>, b: Schema<B>): Schema<[A, B]> {
  const expects = `a pair [${a.expects}, ${b.expects}]`;
  return schema(expects, (value, at) => {
    if (!Array.isArray(value) || value.length !== 2) fail(at, expects, value);
    return [a.check(value[0], `${at}[0]`), b.check(value[1], `${at}[1]`)];
  });
}

type Shape = Record<string, Schema<unknown, unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: Infer<S[K]> };
type Simplify<T> = { [K in keyof T]: T[K] };
/** Fields whose input admits undefined may be left out. */
type InputShape<S extends Shape> = Simplify<
  { [K in keyof S as undefined extends InferInput<S[K]> ? never : K]: InferInput<S[K]> } & {
    [K in keyof S as undefined extends InferInput<S[K]> ? K : never]?: InferInput<S[K]>;
  }
>;

/**
 * A plain object with exactly these fields: unknown fields are refused rather than ignored,
 * so a misspelt option is an error instead of a silent default.
 */
export function object<S extends Shape>(shape: S): Schema<FromShape<S>, InputShape<S>> {
  const keys = Object.keys(shape);
  const expects = `an object with ${keys.length ? keys.join(', ') : 'no fields'}`;
  return schema(expects, (value, at) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
      fail(at, expects, value);
    }
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(shape, key)) throw new SchemaViolation(at ? `${at}.${key}` : key, `left out (${at || 'the argument'} has no field "${key}")`, input[key]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = shape[key]!.check(input[key], at ? `${at}.${key}` : key);
    return out as FromShape<S>;
  });
}

/** No argument at all (undefined or null). */
export const none: Schema<null, null | undefined | void> = schema('left out', (value, at) => (value === undefined || value === null ? null : fail(at, 'left out', value)));

/** An http(s) URL, normalised. */
export function httpUrl(): Schema<string> {
  const expects = 'an http or https URL such as https://example.com/file.iso';
  return schema(expects, (value, at) => {
    if (typeof value !== 'string' || value.length > 8192) fail(at, expects, value);
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      return fail(at, expects, value);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(at, expects, value);
    return url.href;
  });
}
