/**
 * MD5 (RFC 1321) of a string's UTF-8 bytes, as 32 lower-case hex digits. SIP digest authentication (RFC 2617 / RFC
 * 8760's MD5) needs it and Web Crypto does not offer it, so the fake server carries this small pure implementation:
 * `sipstate/testing` runs unchanged in Node and in browser test runners, with no `node:crypto`.
 *
 * Not for security: the fake server only checks that a client computed the same digest it did.
 *
 * @example
 * ```ts
 * md5('abc'); // '900150983cd24fb0d6963f7d28e17f72'
 * md5(`alice:fake.test:secret`); // HA1 of a digest challenge
 * ```
 */
export function md5(text: string): string {
  const input = new TextEncoder().encode(text);
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little endian.
  const paddedLength = (((input.length + 8) >>> 6) + 1) << 6;
  const bytes = new Uint8Array(paddedLength);
  bytes.set(input);
  bytes[input.length] = 0x80;
  const view = new DataView(bytes.buffer);
  const bitLength = input.length * 8;
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 2 ** 32), true);

  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  const words = new Uint32Array(16);
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) words[i] = view.getUint32(offset + i * 4, true);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + (K[i] as number) + (words[g] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotateLeft(sum, S[i] as number)) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return [a0, b0, c0, d0].map(littleEndianHex).join('');
}

/** Per-round shift amounts. */
const S = [
  ...[7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22],
  ...[5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20],
  ...[4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23],
  ...[6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21],
];

/** floor(abs(sin(i + 1)) * 2^32), as RFC 1321 defines the table. */
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function littleEndianHex(word: number): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += ((word >>> (i * 8)) & 0xff).toString(16).padStart(2, '0');
  return hex;
}
