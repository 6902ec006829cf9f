import { randomBytes } from 'node:crypto';

/** Random bytes fetched at once: enough for 341 IVs of 12 bytes. */
const BLOCK_BYTES = 4096;

let block = Buffer.alloc(0);
let offset = 0;

/**
 * `size` fresh random bytes for an IV, cut from a block of the CSPRNG's output fetched 4 KiB at a time:
 * one `randomBytes` call (a trip through the binding into OpenSSL) per few hundred IVs instead of one per
 * encrypted value, which showed in the sweep's profile. Each IV is still its own never-reused random bytes;
 * a spent block is dropped, never refilled in place, so an IV handed out earlier never changes.
 * @internal
 */
export function randomIv(size: number): Buffer {
  if (offset + size > block.length) {
    block = randomBytes(Math.max(BLOCK_BYTES, size));
    offset = 0;
  }
  const iv = block.subarray(offset, offset + size);
  offset += size;
  return iv;
}
