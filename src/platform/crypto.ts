import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** Identity key: HMAC-SHA256 of the normalised document under a secret pepper (hex). */
export function identityKey(pepper: Buffer, normalisedDocument: string): string {
  return createHmac('sha256', pepper).update(normalisedDocument).digest('hex');
}

export interface Keyring {
  /** The first key seals; every key can open what it sealed (rotation). */
  keys: { id: string; key: Buffer }[];
}

/**
 * AES-256-GCM. Output `keyId.base64url(iv|ciphertext|tag)`. The associated data binds a sealed
 * value to its row and field, so a ciphertext copied to another person's row will not open.
 */
export function seal(ring: Keyring, plaintext: string, associatedData: string): string {
  const active = ring.keys[0];
  if (!active) throw new Error('keyring is empty');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', active.key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${active.id}.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url')}`;
}

export function open(ring: Keyring, sealed: string, associatedData: string): string {
  const dot = sealed.indexOf('.');
  const id = sealed.slice(0, dot);
  const entry = ring.keys.find((k) => k.id === id);
  if (dot < 0 || !entry) throw new Error('sealed value uses an unknown key id');
  const raw = Buffer.from(sealed.slice(dot + 1), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', entry.key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([
    decipher.update(raw.subarray(12, raw.length - 16)),
    decipher.final(),
  ]).toString('utf8');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export const API_KEY_PREFIX = 'slk_';

/**
 * API keys: `slk_<keyId>_<secret>` with a 192-bit secret. Only the SHA-256 of the whole key is
 * stored: the secret is high-entropy, so a fast hash resists guessing and keeps auth cheap.
 */
export function newApiKey(): { keyId: string; apiKey: string; hash: string } {
  const keyId = randomBytes(6).toString('hex');
  const apiKey = `${API_KEY_PREFIX}${keyId}_${randomBytes(24).toString('base64url')}`;
  return { keyId, apiKey, hash: sha256Hex(apiKey) };
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** DER prefix of a PKCS8 Ed25519 private key (RFC 8410): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * An Ed25519 private key from PKCS8 PEM (literal `\n` escapes allowed, as env files write them)
 * or from its raw 32-byte seed in hex or base64; undefined when it is neither.
 */
export function ed25519PrivateKey(text: string): KeyObject | undefined {
  const t = text.trim().replace(/\\n/g, '\n');
  try {
    if (t.startsWith('-----BEGIN')) {
      const key = createPrivateKey({ key: t, format: 'pem' });
      return key.asymmetricKeyType === 'ed25519' ? key : undefined;
    }
    const seed = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
    if (seed.length !== 32) return undefined;
    return createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    return undefined;
  }
}

/** `sha256:` and the hex SHA-256 of the public key's SPKI DER: names a key in print. */
export function publicKeyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${sha256Hex(pub.export({ format: 'der', type: 'spki' }))}`;
}
