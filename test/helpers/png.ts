import { deflateSync } from "node:zlib";

/**
 * A small RGB PNG drawn pixel by pixel, for tests that need an image file (the issuer's logo) without
 * keeping binary fixtures: `paint(x, y)` gives each pixel's [red, green, blue].
 */
export function drawPng({
  width,
  height,
  paint,
}: {
  width: number;
  height: number;
  paint: (x: number, y: number) => [number, number, number];
}): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const rowStart = y * (width * 3 + 1);
    rows[rowStart] = 0; // no filter
    for (let x = 0; x < width; x += 1) {
      const [red, green, blue] = paint(x, y);
      rows.set([red, green, blue], rowStart + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A made-up company mark: a teal rounded square with a white diagonal band, and the name's space to its right. */
export function testLogoPng(): Buffer {
  const width = 240;
  const height = 80;
  return drawPng({
    width,
    height,
    paint: (x, y) => {
      const inMark = x >= 8 && x < 72 && y >= 8 && y < 72;
      if (!inMark) return x > 84 && y > 30 && y < 50 && x < 232 ? [40, 40, 40] : [255, 255, 255];
      const band = Math.abs(x - 8 - (y - 8)) < 10;
      return band ? [255, 255, 255] : [0, 128, 128];
    },
  });
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed), 0);
  return Buffer.concat([length, typed, crc]);
}

const crcTable = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) {
    value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  }
  return value >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
