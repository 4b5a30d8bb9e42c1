import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { drawPng } from "./png.ts";

/**
 * PDFs rendered to pictures with poppler's `pdftoppm` (`apt-get install -y poppler-utils`; `.ci/run`
 * installs it): each page as pixels to assert on, and as a PNG under `scratch/pdf-previews/` (not
 * committed) for a person to look at. Without pdftoppm the pictures are not made: tests that need them
 * fail under CI and are skipped elsewhere (see `hasPdftoppm`).
 */

const run = promisify(execFile);
export const previewDirectory = path.resolve("scratch", "pdf-previews");

export interface PageImage {
  width: number;
  height: number;
  /** RGB bytes, row by row. */
  pixels: Buffer;
  /** Where the page was written as a PNG. */
  pngPath: string;
}

let available: boolean | undefined;

/** Whether `pdftoppm` can be run here. */
export async function hasPdftoppm(): Promise<boolean> {
  if (available === undefined) {
    available = await run("pdftoppm", ["-v"]).then(
      () => true,
      () => false,
    );
    if (!available && process.env.CI) {
      throw new Error("pdftoppm is missing (apt-get install -y poppler-utils); CI needs it.");
    }
  }
  return available;
}

/** Every page of `pdf` at `resolution` dots per inch, also written as `<name>-<page>.png`. */
export async function rasterizePdf({
  pdf,
  name,
  resolution = 72,
}: {
  pdf: Buffer;
  name: string;
  resolution?: number;
}): Promise<PageImage[]> {
  const work = await mkdtemp(path.join(tmpdir(), "abono-pdf-"));
  try {
    const source = path.join(work, "document.pdf");
    await writeFile(source, pdf);
    await run("pdftoppm", ["-r", String(resolution), source, path.join(work, "page")]);
    const pages = (await readdir(work)).filter((file) => file.endsWith(".ppm")).sort();
    await mkdir(previewDirectory, { recursive: true });
    await writeFile(path.join(previewDirectory, `${name}.pdf`), pdf);
    const images: PageImage[] = [];
    for (const [index, page] of pages.entries()) {
      const image = readPpm(await readFile(path.join(work, page)));
      const pngPath = path.join(previewDirectory, `${name}-${index + 1}.png`);
      await writeFile(
        pngPath,
        drawPng({
          width: image.width,
          height: image.height,
          paint: (x, y) => pixelAt(image, x, y),
        }),
      );
      images.push({ ...image, pngPath });
    }
    return images;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The [red, green, blue] of a pixel. */
export function pixelAt(
  image: Pick<PageImage, "width" | "pixels">,
  x: number,
  y: number,
): [number, number, number] {
  const offset = (y * image.width + x) * 3;
  return [image.pixels[offset] ?? 0, image.pixels[offset + 1] ?? 0, image.pixels[offset + 2] ?? 0];
}

/** How many pixels of the box (in page points at 72 dpi) match `test`. */
export function countPixels(
  image: PageImage,
  box: { left: number; top: number; right: number; bottom: number },
  test: (pixel: [number, number, number]) => boolean,
): number {
  let count = 0;
  for (let y = Math.max(0, box.top); y < Math.min(image.height, box.bottom); y += 1) {
    for (let x = Math.max(0, box.left); x < Math.min(image.width, box.right); x += 1) {
      if (test(pixelAt(image, x, y))) count += 1;
    }
  }
  return count;
}

/** A binary PPM (P6, maxval 255), as pdftoppm writes it. */
function readPpm(bytes: Buffer): { width: number; height: number; pixels: Buffer } {
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString("latin1"));
  if (!header) throw new Error("pdftoppm wrote something other than a binary PPM.");
  const width = Number(header[1]);
  const height = Number(header[2]);
  return {
    width,
    height,
    pixels: bytes.subarray(header[0].length, header[0].length + width * height * 3),
  };
}
