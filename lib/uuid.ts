/**
 * A UUID from the first 16 bytes of a hash digest, with the version and
 * RFC 9562 variant bits set: the same input always gives the same id
 * (version 5 for SHA-1 name-based ids, 8 for other hashes).
 */
export function uuidFromDigest(digest: Buffer, version: 5 | 8): string {
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[6] = (bytes[6] & 0x0f) | (version << 4);
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot exist, so it resolves to null without a query. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
