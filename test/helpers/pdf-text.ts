import { inflateSync } from "node:zlib";

/**
 * Reads the text back out of a PDF written by pdfkit with `compress: false` and its standard fonts.
 * pdfkit draws each line of text in its own `BT … ET` block: a `1 0 0 1 x y Tm` position (PDF
 * coordinates, origin bottom left, y on the baseline), a `/F1 10 Tf` font and one `[<hex> kerning
 * <hex> …] TJ` whose hex strings are the WinAnsi (Windows-1252) bytes of the text. Node's
 * `TextDecoder("windows-1252")` decodes as Latin-1 (so "€" would come out as U+0080), hence the table.
 */

export interface PdfTextSegment {
  /** 1-based page number. */
  page: number;
  x: number;
  /** Baseline, from the bottom of the page. */
  y: number;
  /** The font's BaseFont, e.g. "Helvetica-Bold". */
  font: string;
  fontSize: number;
  text: string;
}

export interface PdfText {
  /** Number of `/Type /Page` objects (not `/Pages`). */
  pageCount: number;
  /** The document information dictionary's Title. */
  title: string | null;
  segments: PdfTextSegment[];
  /** Every segment, trimmed of spaces, in drawing order, joined with one space. */
  text: string;
}

/** Windows-1252 bytes 0x80–0x9F; the other bytes are the Unicode code points of the same number. */
const winAnsiHighControls: Readonly<Record<number, string>> = {
  128: "€",
  130: "‚",
  131: "ƒ",
  132: "„",
  133: "…",
  134: "†",
  135: "‡",
  136: "ˆ",
  137: "‰",
  138: "Š",
  139: "‹",
  140: "Œ",
  142: "Ž",
  145: "‘",
  146: "’",
  147: "“",
  148: "”",
  149: "•",
  150: "–",
  151: "—",
  152: "˜",
  153: "™",
  154: "š",
  155: "›",
  156: "œ",
  158: "ž",
  159: "Ÿ",
};

/** A PDF with its Flate streams inflated (as the service serves them), so its text can be read back. */
export function inflatePdf(pdf: Buffer): Buffer {
  const source = pdf.toString("latin1");
  const inflated = source.replace(
    /\/Filter \/FlateDecode([\s\S]*?)stream\n([\s\S]*?)\nendstream/g,
    (_whole, between: string, data: string) =>
      `${between}stream\n${inflateSync(Buffer.from(data, "latin1")).toString("latin1")}\nendstream`,
  );
  return Buffer.from(inflated, "latin1");
}

export function readPdfText({ pdf }: { pdf: Buffer }): PdfText {
  const source = pdf.toString("latin1");
  if (!source.startsWith("%PDF-")) throw new Error("Not a PDF: it does not start with %PDF-.");
  const objects = readObjects({ source });
  // Images (a logo) keep their own compression; text must be in plain content streams.
  const compressed = [...objects.values()].filter(
    (body) => body.includes("/FlateDecode") && !/\/Subtype \/Image\b/.test(body),
  );
  if (compressed.length > 0) {
    throw new Error("The PDF has compressed streams; render it with compress: false.");
  }
  const pageCount = source.match(/\/Type \/Page(?![A-Za-z])/g)?.length ?? 0;
  const segments = pageObjectNumbers({ objects }).flatMap((pageNumber, index) =>
    readPageSegments({ objects, page: index + 1, body: objectBody({ objects, pageNumber }) }),
  );
  const text = segments
    .map((segment) => segment.text.replace(/^ +| +$/g, ""))
    .filter((part) => part !== "")
    .join(" ");
  return { pageCount, title: readTitle({ source, objects }), segments, text };
}

function readObjects({ source }: { source: string }): Map<number, string> {
  const objects = new Map<number, string>();
  for (const match of source.matchAll(/(?:^|\n)(\d+) 0 obj\n([\s\S]*?)\nendobj/g)) {
    objects.set(Number(match[1]), match[2] ?? "");
  }
  return objects;
}

function objectBody({ objects, pageNumber }: { objects: Map<number, string>; pageNumber: number }) {
  const body = objects.get(pageNumber);
  if (body === undefined) throw new Error(`PDF object ${pageNumber} is missing.`);
  return body;
}

function pageObjectNumbers({ objects }: { objects: Map<number, string> }): number[] {
  const pages = [...objects.values()].find((body) => /\/Type \/Pages\b/.test(body));
  const kids = pages?.match(/\/Kids \[([^\]]*)\]/)?.[1];
  if (kids === undefined) throw new Error("The PDF has no /Pages object with /Kids.");
  return [...kids.matchAll(/(\d+) 0 R/g)].map((match) => Number(match[1]));
}

function referenced({
  objects,
  body,
  key,
}: {
  objects: Map<number, string>;
  body: string;
  key: string;
}): string {
  const number = body.match(new RegExp(`/${key} (\\d+) 0 R`))?.[1];
  if (number === undefined) throw new Error(`No /${key} reference in ${body}`);
  return objectBody({ objects, pageNumber: Number(number) });
}

function readPageSegments({
  objects,
  page,
  body,
}: {
  objects: Map<number, string>;
  page: number;
  body: string;
}): PdfTextSegment[] {
  const resources = referenced({ objects, body, key: "Resources" });
  const fonts = new Map<string, string>();
  for (const match of resources.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
    const font = objectBody({ objects, pageNumber: Number(match[2]) });
    fonts.set(match[1] ?? "", font.match(/\/BaseFont \/(\S+)/)?.[1] ?? "unknown");
  }
  const content = referenced({ objects, body, key: "Contents" });
  const segments: PdfTextSegment[] = [];
  for (const block of content.matchAll(/\nBT\n([\s\S]*?)\nET\n/g)) {
    const operators = block[1] ?? "";
    const position = operators.match(/(-?[\d.]+) (-?[\d.]+) Tm/);
    const font = operators.match(/\/(F\d+) (-?[\d.]+) Tf/);
    for (const shown of operators.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const strings = shown[1] === undefined ? [shown[2] ?? ""] : hexStrings(shown[1]);
      segments.push({
        page,
        x: Number(position?.[1] ?? Number.NaN),
        y: Number(position?.[2] ?? Number.NaN),
        font: fonts.get(font?.[1] ?? "") ?? "unknown",
        fontSize: Number(font?.[2] ?? Number.NaN),
        text: strings.map((hex) => decodeWinAnsi({ hex })).join(""),
      });
    }
  }
  return segments;
}

function hexStrings(array: string): string[] {
  return [...array.matchAll(/<([0-9a-fA-F]*)>/g)].map((match) => match[1] ?? "");
}

function decodeWinAnsi({ hex }: { hex: string }): string {
  if (hex.length % 2 !== 0) {
    throw new Error(
      `Odd-length hex string <${hex}>: pdfkit wrote a character outside WinAnsi as its code point.`,
    );
  }
  let text = "";
  for (let index = 0; index < hex.length; index += 2) {
    const byte = Number.parseInt(hex.slice(index, index + 2), 16);
    const character =
      byte >= 0x80 && byte <= 0x9f ? winAnsiHighControls[byte] : String.fromCharCode(byte);
    if (character === undefined) throw new Error(`Byte 0x${byte.toString(16)} is not in WinAnsi.`);
    text += character;
  }
  return text;
}

/** The Info Title: a literal string, UTF-16BE after a FE FF mark when it is not plain ASCII. */
function readTitle({ source, objects }: { source: string; objects: Map<number, string> }) {
  const info = source.match(/\/Info (\d+) 0 R/)?.[1];
  if (info === undefined) return null;
  const body = objectBody({ objects, pageNumber: Number(info) });
  const title = body.match(/\/Title (\d+) 0 R/)?.[1];
  if (title === undefined) return null;
  const literal = objectBody({ objects, pageNumber: Number(title) }).match(/^\(([\s\S]*)\)$/)?.[1];
  if (literal === undefined) return null;
  const bytes = unescapeLiteral(literal);
  if (bytes.startsWith("\u00fe\u00ff")) {
    return Buffer.from(bytes.slice(2), "latin1").swap16().toString("utf16le");
  }
  return bytes;
}

function unescapeLiteral(literal: string): string {
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" };
  return literal.replace(/\\([0-7]{1,3}|[\s\S])/g, (_, escaped: string) =>
    /^[0-7]+$/.test(escaped)
      ? String.fromCharCode(Number.parseInt(escaped, 8))
      : (escapes[escaped] ?? escaped),
  );
}
