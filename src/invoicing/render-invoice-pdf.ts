import PDFDocument from "pdfkit";
import type { PostalAddress } from "../db/schema/index.ts";
import { type InvoiceLabels, invoiceLabels } from "../i18n/invoice-labels.ts";
import { formatMoney } from "../money/index.ts";
import type { InvoiceDocument, InvoiceDocumentLine } from "./invoice-document.ts";

const margin = 50;
const columnGap = 16;
const cellGap = 10;
const rowPadding = 6;
/** A single line description never takes more than this; longer ones end with "…". */
const maxDescriptionHeight = 240;
const logoBox = { width: 150, height: 56 } as const;
const colors = { text: "#1a1a1a", muted: "#6b6b6b", rule: "#d9d9d9" } as const;

interface Layout {
  pdf: PDFKit.PDFDocument;
  document: InvoiceDocument;
  labels: InvoiceLabels;
  left: number;
  right: number;
  bottom: number;
  columns: TableColumns;
}

/** The line table's numeric columns, right to left from the page's right edge; the tax column only when a line is taxed. */
interface TableColumns {
  amountRight: number;
  taxRight: number | null;
  unitPriceRight: number;
  quantityRight: number;
  descriptionWidth: number;
}

/**
 * The invoice as an A4 PDF in the document's locale, drawn with the standard Helvetica fonts (no font
 * files): the issuer (logo, legal name, address, tax id), the invoice's number, dates and the period its
 * lines cover, the customer (legal name, address, tax id, email), the lines with quantity, unit price,
 * tax rate and amount, the totals with the base and tax of each rate, the reverse-charge or exemption
 * legend, and the payments of a paid invoice. Every amount goes through `formatMoney`. Rows that do not
 * fit move whole to a new page, which repeats the table header. The output depends only on `document`
 * (the PDF's creation date is `document.createdAt`), so the same document renders to the same bytes.
 */
export async function renderInvoicePdf({
  document,
  compress = true,
}: {
  document: InvoiceDocument;
  compress?: boolean;
}): Promise<Buffer> {
  const labels = invoiceLabels(document.locale);
  const pdf = new PDFDocument({
    size: "A4",
    margin,
    compress,
    lang: document.locale,
    displayTitle: true,
    info: {
      Title: `${documentTitle({ document, labels })} ${document.number ?? labels.draft}`,
      Author: document.issuer.name,
      Subject: document.id,
      Creator: "Abono",
      Producer: "Abono",
      CreationDate: document.createdAt,
      ModDate: document.createdAt,
    },
  });
  const bytes = collectBytes({ pdf });
  const left = margin;
  const right = pdf.page.width - margin;
  const layout: Layout = {
    pdf,
    document,
    labels,
    left,
    right,
    bottom: pdf.page.height - margin,
    columns: tableColumns({ document, left, right }),
  };
  let y = drawHeader({ layout });
  y = drawCustomer({ layout, y });
  y = drawTableHeader({ layout, y });
  for (const line of document.lines) {
    y = drawLine({ layout, line, y });
  }
  y = drawTotals({ layout, y: y + 14 });
  drawNotes({ layout, y: y + 10 });
  pdf.end();
  return bytes;
}

function tableColumns({
  document,
  left,
  right,
}: {
  document: InvoiceDocument;
  left: number;
  right: number;
}): TableColumns {
  const taxed = document.lines.some((line) => line.taxPercentage !== null);
  const amountWidth = 82;
  const taxWidth = 52;
  const unitPriceWidth = 82;
  const quantityWidth = 34;
  const amountRight = right;
  const taxRight = taxed ? amountRight - amountWidth - cellGap : null;
  const unitPriceRight = (taxRight ?? amountRight) - (taxed ? taxWidth : amountWidth) - cellGap;
  const quantityRight = unitPriceRight - unitPriceWidth - cellGap;
  return {
    amountRight,
    taxRight,
    unitPriceRight,
    quantityRight,
    descriptionWidth: quantityRight - quantityWidth - cellGap - left,
  };
}

function collectBytes({ pdf }: { pdf: PDFKit.PDFDocument }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
}

/** "Factura" / "Invoice", or "Nota de crédito" / "Credit note". */
function documentTitle({
  document,
  labels,
}: {
  document: InvoiceDocument;
  labels: InvoiceLabels;
}): string {
  return document.documentType === "credit_note" ? labels.creditNoteTitle : labels.title;
}

/** Issuer on the left (logo, legal name, address, tax id, email); title, status and facts on the right. */
function drawHeader({ layout }: { layout: Layout }): number {
  const { pdf, document, labels, left, right } = layout;
  const columnWidth = (right - left - columnGap) / 2;
  const { issuer } = document;

  let issuerY = margin;
  if (issuer.logo !== null) {
    pdf.image(issuer.logo, left, issuerY, { fit: [logoBox.width, logoBox.height] });
    issuerY += logoBox.height + 10;
  }
  issuerY = drawParty({ layout, party: issuer, x: left, y: issuerY, width: columnWidth });

  let factsY = margin;
  const creditNote = document.documentType === "credit_note";
  writeRight({
    pdf,
    text: documentTitle({ document, labels }),
    right,
    y: factsY,
    font: "Helvetica-Bold",
    size: 22,
  });
  factsY += 28;
  writeRight({
    pdf,
    text: `${labels.kindNames[document.kind]}  ·  ${creditNote && document.status !== "void" ? labels.issued : labels.statusNames[document.status]}`,
    right,
    y: factsY,
    size: 10,
    color: colors.muted,
  });
  factsY += 24;
  const facts: [string, string][] = [
    [creditNote ? labels.creditNoteNumber : labels.invoiceNumber, document.number ?? labels.draft],
    [labels.date, labels.formatDate(document.createdAt)],
  ];
  if (document.corrects.length > 0) facts.push([labels.corrects, document.corrects.join(", ")]);
  const period = formatPeriod({ labels, start: document.periodStart, end: document.periodEnd });
  if (period !== null) facts.push([labels.period, period]);
  if (document.paidAt !== null && !creditNote) {
    facts.push([labels.paidOn, labels.formatDate(document.paidAt)]);
  }
  for (const [label, value] of facts) {
    write({
      pdf,
      text: label,
      x: right - columnWidth,
      y: factsY + 1,
      size: 9,
      color: colors.muted,
    });
    writeRight({ pdf, text: value, right, y: factsY, size: 10 });
    factsY += 16;
  }
  return Math.max(issuerY, factsY) + 18;
}

/** "Billed to": the customer's legal name, name and reference, address, tax id and email. */
function drawCustomer({ layout, y }: { layout: Layout; y: number }): number {
  const { pdf, document, labels, left, right } = layout;
  const { customer } = document;
  const width = (right - left - columnGap) / 2;
  write({ pdf, text: labels.billedTo, x: left, y, size: 9, color: colors.muted });
  let top = y + 13;
  top = drawParty({
    layout,
    party: customer,
    x: left,
    y: top,
    width,
    subtitle: [customer.tradeName, `${labels.customerReference} ${customer.reference}`]
      .filter((part) => part !== null)
      .join("  ·  "),
  });
  return top + 20;
}

/** A party's block: the name in bold, then (muted) an optional subtitle, the address, tax id and email. */
function drawParty({
  layout,
  party,
  x,
  y,
  width,
  subtitle,
}: {
  layout: Layout;
  party: InvoiceDocument["issuer"] | InvoiceDocument["customer"];
  x: number;
  y: number;
  width: number;
  subtitle?: string;
}): number {
  const { pdf, labels } = layout;
  let top = y;
  top += writeWrapped({
    pdf,
    text: party.name,
    x,
    y: top,
    width,
    font: "Helvetica-Bold",
    size: 12,
  });
  top += 2;
  const details = [
    ...(subtitle ? [subtitle] : []),
    ...addressLines({ labels, address: party.address }),
    ...(party.taxId === null
      ? []
      : [labels.formatTaxId({ type: party.taxIdType, value: party.taxId })]),
    ...(party.email === null ? [] : [party.email]),
  ];
  for (const detail of details) {
    top += writeWrapped({ pdf, text: detail, x, y: top, width, size: 9, color: colors.muted });
    top += 1;
  }
  return top;
}

function addressLines({
  labels,
  address,
}: {
  labels: InvoiceLabels;
  address: PostalAddress | null;
}): string[] {
  if (address === null) return [];
  const city = [address.postalCode, address.city].filter((part) => part).join(" ");
  return [
    address.line1,
    ...(address.line2 ? [address.line2] : []),
    address.region ? `${city}, ${address.region}` : city,
    labels.countryName(address.country),
  ];
}

function drawTableHeader({ layout, y }: { layout: Layout; y: number }): number {
  const { pdf, labels, left, right, columns } = layout;
  const style = { font: "Helvetica-Bold", size: 9, color: colors.muted } as const;
  write({ pdf, text: labels.description, x: left, y, ...style });
  writeRight({ pdf, text: labels.quantity, right: columns.quantityRight, y, ...style });
  writeRight({ pdf, text: labels.unitPrice, right: columns.unitPriceRight, y, ...style });
  if (columns.taxRight !== null) {
    writeRight({ pdf, text: labels.tax, right: columns.taxRight, y, ...style });
  }
  writeRight({ pdf, text: labels.amount, right: columns.amountRight, y, ...style });
  rule({ pdf, left, right, y: y + 14, color: colors.text });
  return y + 15;
}

function drawLine({
  layout,
  line,
  y,
}: {
  layout: Layout;
  line: InvoiceDocumentLine;
  y: number;
}): number {
  const { pdf, labels, left, right, columns } = layout;
  const description = toWinAnsi(line.description);
  setFont({ pdf, font: "Helvetica", size: 10 });
  const descriptionHeight = Math.min(
    pdf.heightOfString(description, { width: columns.descriptionWidth }),
    maxDescriptionHeight,
  );
  const period = formatPeriod({ labels, start: line.periodStart, end: line.periodEnd });
  const details = [period, line.proration ? labels.proration : null].filter(
    (part) => part !== null,
  );
  const detailsHeight = details.length > 0 ? 12 : 0;
  const rowHeight = rowPadding + descriptionHeight + detailsHeight + rowPadding;

  let top = y;
  if (top + rowHeight > layout.bottom) {
    top = drawTableHeader({ layout, y: startContinuationPage({ layout }) });
  }
  const textTop = top + rowPadding;
  setFont({ pdf, font: "Helvetica", size: 10, color: colors.text });
  pdf.text(description, left, textTop, {
    width: columns.descriptionWidth,
    height: maxDescriptionHeight,
    ellipsis: true,
  });
  if (line.quantity !== null) {
    writeRight({
      pdf,
      text: line.quantity.toString(),
      right: columns.quantityRight,
      y: textTop,
      size: 10,
    });
  }
  if (line.unitAmount !== null) {
    const unitPrice = money({ layout, amount: line.unitAmount });
    writeRight({ pdf, text: unitPrice, right: columns.unitPriceRight, y: textTop, size: 10 });
  }
  if (columns.taxRight !== null && line.taxPercentage !== null) {
    const rate = labels.formatPercentage(line.taxPercentage);
    writeRight({ pdf, text: rate, right: columns.taxRight, y: textTop, size: 10 });
  }
  const amount = money({ layout, amount: line.amount });
  writeRight({ pdf, text: amount, right: columns.amountRight, y: textTop, size: 10 });
  if (details.length > 0) {
    const detailsText = details.join("  ·  ");
    const detailsTop = textTop + descriptionHeight + 2;
    write({ pdf, text: detailsText, x: left, y: detailsTop, size: 8, color: colors.muted });
  }
  rule({ pdf, left, right, y: top + rowHeight, color: colors.rule });
  return top + rowHeight;
}

function drawTotals({ layout, y }: { layout: Layout; y: number }): number {
  const { pdf, document, labels, right } = layout;
  const allInclusive =
    document.taxes.length > 0 && document.taxes.every((entry) => entry.inclusive);
  const rows: { label: string; amount: bigint; strong: boolean }[] = [
    {
      label: allInclusive ? labels.subtotalTaxIncluded : labels.subtotal,
      amount: document.subtotal,
      strong: false,
    },
  ];
  if (document.discount > 0n) {
    rows.push({ label: labels.discount, amount: -document.discount, strong: false });
  }
  for (const entry of document.taxes) {
    const rate = { name: entry.name, percentage: labels.formatPercentage(entry.percentage) };
    rows.push({ label: labels.taxBase(rate), amount: entry.netAmount, strong: false });
    rows.push({ label: labels.taxLine(rate), amount: entry.amount, strong: false });
  }
  rows.push({ label: labels.total, amount: document.total, strong: true });
  if (document.balanceApplied > 0n) {
    rows.push({ label: labels.balanceApplied, amount: -document.balanceApplied, strong: false });
  }
  if (document.creditedToBalance > 0n) {
    rows.push({
      label: labels.creditedToBalance,
      amount: document.creditedToBalance,
      strong: false,
    });
  }
  if (document.amountRefunded > 0n) {
    rows.push({
      label: labels.refundedToPaymentMethod,
      amount: document.amountRefunded,
      strong: false,
    });
  }
  if (document.documentType === "invoice") {
    rows.push({ label: labels.amountDue, amount: document.amountDue, strong: true });
  }
  if (document.amountPaid > 0n) {
    rows.push({ label: labels.amountPaid, amount: document.amountPaid, strong: false });
  }

  const rowHeight = 18;
  let top = y;
  if (top + rows.length * rowHeight > layout.bottom) {
    top = startContinuationPage({ layout });
  }
  const labelX = right - 300;
  for (const row of rows) {
    const font = row.strong ? "Helvetica-Bold" : "Helvetica";
    write({ pdf, text: row.label, x: labelX, y: top, font, size: 10 });
    writeRight({ pdf, text: money({ layout, amount: row.amount }), right, y: top, font, size: 10 });
    top += rowHeight;
  }
  return top;
}

/** The tax legend (reverse charge, exemption) and how a paid invoice was paid. */
function drawNotes({ layout, y }: { layout: Layout; y: number }): void {
  const { pdf, document, labels, left, right } = layout;
  const width = right - left;
  const notes: { text: string; strong: boolean }[] = [];
  if (document.reverseCharge) notes.push({ text: labels.reverseCharge, strong: true });
  else if (document.taxExempt) notes.push({ text: labels.taxExempt, strong: true });
  for (const payment of document.payments) {
    const provider = labels.providerNames[payment.provider] ?? payment.provider;
    const parts = [
      payment.method === null ? provider : `${payment.method} (${provider})`,
      payment.reference === null ? null : `${labels.paymentReference} ${payment.reference}`,
      labels.formatDate(payment.paidAt),
      money({ layout, amount: payment.amount }),
    ].filter((part) => part !== null);
    notes.push({ text: `${labels.payment}: ${parts.join("  ·  ")}`, strong: false });
  }
  let top = y;
  for (const note of notes) {
    setFont({ pdf, size: 9 });
    const height = pdf.heightOfString(toWinAnsi(note.text), { width });
    if (top + height > layout.bottom) top = startContinuationPage({ layout });
    top += writeWrapped({
      pdf,
      text: note.text,
      x: left,
      y: top,
      width,
      size: 9,
      font: note.strong ? "Helvetica-Bold" : "Helvetica",
      color: note.strong ? colors.text : colors.muted,
    });
    top += 4;
  }
}

/** A new page headed by the invoice's title and number; returns where its content starts. */
function startContinuationPage({ layout }: { layout: Layout }): number {
  const { pdf, document, labels, left } = layout;
  pdf.addPage();
  const heading = `${documentTitle({ document, labels })} ${document.number ?? labels.draft}`;
  write({ pdf, text: heading, x: left, y: margin, size: 9, color: colors.muted });
  return margin + 24;
}

function formatPeriod({
  labels,
  start,
  end,
}: {
  labels: InvoiceLabels;
  start: Date | null;
  end: Date | null;
}): string | null {
  if (start === null || end === null) return null;
  return `${labels.formatDate(start)} – ${labels.formatDate(end)}`;
}

function money({ layout, amount }: { layout: Layout; amount: bigint }): string {
  const { currency, locale } = layout.document;
  return formatMoney({ amount, currency, locale });
}

interface TextStyle {
  font?: "Helvetica" | "Helvetica-Bold";
  size?: number;
  color?: string;
}

function setFont({
  pdf,
  font = "Helvetica",
  size = 10,
  color = colors.text,
}: TextStyle & { pdf: PDFKit.PDFDocument }): void {
  pdf.font(font).fontSize(size).fillColor(color);
}

/** One line of text, never wrapped and never moved to another page. */
function write({
  pdf,
  text,
  x,
  y,
  ...style
}: TextStyle & { pdf: PDFKit.PDFDocument; text: string; x: number; y: number }): void {
  setFont({ pdf, ...style });
  pdf.text(toWinAnsi(text), x, y, { lineBreak: false });
}

/** One line of text ending at `right`. */
function writeRight({
  pdf,
  text,
  right,
  y,
  ...style
}: TextStyle & { pdf: PDFKit.PDFDocument; text: string; right: number; y: number }): void {
  setFont({ pdf, ...style });
  const encoded = toWinAnsi(text);
  pdf.text(encoded, right - pdf.widthOfString(encoded), y, { lineBreak: false });
}

/** Text wrapped to `width`; returns the height it took. */
function writeWrapped({
  pdf,
  text,
  x,
  y,
  width,
  ...style
}: TextStyle & {
  pdf: PDFKit.PDFDocument;
  text: string;
  x: number;
  y: number;
  width: number;
}): number {
  setFont({ pdf, size: 12, ...style });
  const encoded = toWinAnsi(text);
  pdf.text(encoded, x, y, { width });
  return pdf.heightOfString(encoded, { width });
}

function rule({
  pdf,
  left,
  right,
  y,
  color,
}: {
  pdf: PDFKit.PDFDocument;
  left: number;
  right: number;
  y: number;
  color: string;
}): void {
  pdf.moveTo(left, y).lineTo(right, y).lineWidth(0.5).strokeColor(color).stroke();
}

/**
 * Unicode code points above U+00FF that the standard fonts' WinAnsi encoding has (pdfkit's own
 * table). pdfkit writes any other character as its raw code point in hex, which corrupts the text.
 */
const winAnsiAboveLatin1 = new Set([
  0x152, 0x153, 0x160, 0x161, 0x178, 0x17d, 0x17e, 0x192, 0x2c6, 0x2dc, 0x2013, 0x2014, 0x2018,
  0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a,
  0x20ac, 0x2122,
]);
const substitutes = new Map([
  ["\u2007", "\u00a0"],
  ["\u202f", "\u00a0"],
  ["\u2010", "-"],
  ["\u2011", "-"],
  ["\u2212", "-"],
  ["\u0141", "L"],
  ["\u0142", "l"],
  ["\u0110", "D"],
  ["\u0111", "d"],
  ["\u0131", "i"],
]);

/**
 * `text` reduced to what Helvetica can show: accents that WinAnsi lacks are dropped ("Ż" → "Z"),
 * other spaces become spaces, control and format characters and stray combining marks are removed
 * (line breaks stay) and anything else becomes "?".
 */
function toWinAnsi(text: string): string {
  let result = "";
  for (const character of text.normalize("NFC").replace(/\r\n?/g, "\n")) {
    result += winAnsiCharacter(character);
  }
  return result;
}

function winAnsiCharacter(character: string): string {
  if (character === "\n" || isWinAnsi(character)) return character;
  const substitute = substitutes.get(character);
  if (substitute !== undefined) return substitute;
  if (/^[\p{Cc}\p{Cf}\p{M}]$/u.test(character)) return /^\s$/u.test(character) ? " " : "";
  if (/^\s$/u.test(character)) return " ";
  const base = [...character.normalize("NFD")].filter((part) => !/^\p{M}$/u.test(part)).join("");
  return base !== "" && [...base].every(isWinAnsi) ? base : "?";
}

function isWinAnsi(character: string): boolean {
  const codePoint = character.codePointAt(0) ?? 0;
  return (
    (codePoint >= 0x20 && codePoint <= 0x7e) ||
    (codePoint >= 0xa0 && codePoint <= 0xff) ||
    winAnsiAboveLatin1.has(codePoint)
  );
}
