/**
 * Text bodies (JSON documents, NDJSON, CSV) are UTF-8, and only UTF-8: a body that declares
 * another charset, or whose bytes are not UTF-8, is refused before any route reads it, instead of
 * being decoded with U+FFFD in place of what the client sent and stored so.
 */

/** A JSON document's media type (`application/json`, `application/problem+json`, ...). */
const JSON_DOCUMENT = /^application\/([\w.-]+\+)?json$/;

/** Media types read as UTF-8 text. */
const TEXT_TYPES = new Set([
  'application/x-ndjson',
  'application/jsonl',
  'application/json-seq',
  'text/csv',
]);

/** Labels of UTF-8 (WHATWG Encoding): the only charset a text body may declare. */
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

export interface MediaType {
  /** `type/subtype`, lower case. */
  essence: string;
  /** The `charset` parameter, lower case and unquoted, when there is one. */
  charset?: string;
}

export function parseMediaType(header: string): MediaType {
  const [essence = '', ...params] = header.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    charset = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return { essence: essence.trim().toLowerCase(), charset };
}

export function isJsonDocument(type: MediaType): boolean {
  return JSON_DOCUMENT.test(type.essence);
}

/** Whether the body is read as UTF-8 text by the route that takes it. */
export function isTextBody(type: MediaType): boolean {
  return isJsonDocument(type) || TEXT_TYPES.has(type.essence);
}

/** Why the declared charset is refused, or undefined when it is UTF-8 or absent. */
export function refusedCharset(type: MediaType): string | undefined {
  if (type.charset === undefined || UTF8_LABELS.has(type.charset)) return undefined;
  return `${type.essence} bodies must be UTF-8; charset=${type.charset} is not accepted`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

export type DecodedBody = { ok: true; text: string } | { ok: false; detail: string };

/**
 * The body as text, or where its first byte sequence that is not UTF-8 starts (byte offset from
 * 0, and line from 1, so a client can find it in a file it uploaded).
 */
export function decodeUtf8(bytes: Uint8Array): DecodedBody {
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    const offset = firstInvalidOffset(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const hex = bytes[offset]?.toString(16).padStart(2, '0') ?? '';
    return {
      ok: false,
      detail: `the body is not valid UTF-8: byte 0x${hex} at offset ${offset} (line ${line}) does not start a UTF-8 sequence that ends well`,
    };
  }
}

/**
 * Byte offset of the first ill-formed sequence: every character before it decodes exactly, so
 * the offset is the sum of their UTF-8 lengths up to the first U+FFFD the bytes did not spell.
 */
function firstInvalidOffset(bytes: Uint8Array): number {
  let offset = 0;
  for (const ch of lenient.decode(bytes)) {
    const cp = ch.codePointAt(0) ?? 0;
    const spelled =
      bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd;
    if (cp === 0xfffd && !spelled) return offset;
    offset += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return offset;
}

/** A JSON `\u` escape of a UTF-16 surrogate: only these can make a string's surrogate lone. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Whether JSON text holds a key or string with a lone UTF-16 surrogate (`"\ud800"`), which is
 * no Unicode text: PostgreSQL refuses it in JSON and UTF-8 would turn it into U+FFFD silently,
 * so it is the client's error in every domain. False for text that is not JSON at all.
 */
export function holdsLoneSurrogate(text: string): boolean {
  if (!SURROGATE_ESCAPE.test(text)) return false;
  let lone = false;
  try {
    JSON.parse(text, (key, value) => {
      if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) lone = true;
      return value;
    });
  } catch {
    return false;
  }
  return lone;
}
