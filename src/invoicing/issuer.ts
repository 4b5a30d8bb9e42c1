import { open } from "node:fs/promises";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import {
  type InvoiceIssuerDetails,
  issuerSettings,
  type PostalAddress,
  type TaxIdType,
} from "../db/schema/index.ts";
import { invalidEntry } from "../errors.ts";
import { isCountryCode } from "../taxes/country-codes.ts";
import { taxIdProblem } from "../taxes/tax-id.ts";

const settingsId = "issuer";
/** A logo larger than this is refused: it is drawn 60 points high on every PDF. */
const maxLogoBytes = 2 * 1024 * 1024;

/** The issuer's fields, each settable in root's record. */
export const issuerFields = [
  "legalName",
  "address",
  "taxId",
  "taxIdType",
  "email",
  "logoPath",
] as const satisfies readonly (keyof InvoiceIssuerDetails)[];
export type IssuerField = (typeof issuerFields)[number];

/** Root's settings record: each field set here replaces its `ABONO_ISSUER_*` value. */
export type IssuerOverrides = { [Field in IssuerField]: InvoiceIssuerDetails[Field] | null };

export interface IssuerSettingsView {
  /** What invoices are issued with now. */
  issuer: InvoiceIssuerDetails;
  /** The fields the settings record sets (the others come from the environment). */
  overridden: IssuerField[];
  updatedAt: Date | null;
  updatedBy: string | null;
}

/**
 * The issuer invoices are issued with: each field of the settings record that is set, else the
 * environment's (`config.issuer`). Read in the caller's transaction.
 */
export async function resolveIssuer({
  executor,
  defaults,
}: {
  executor: Executor;
  defaults: InvoiceIssuerDetails;
}): Promise<InvoiceIssuerDetails> {
  return (await readIssuerSettings({ executor, defaults })).issuer;
}

export async function readIssuerSettings({
  executor,
  defaults,
}: {
  executor: Executor;
  defaults: InvoiceIssuerDetails;
}): Promise<IssuerSettingsView> {
  const [row] = await executor
    .select()
    .from(issuerSettings)
    .where(eq(issuerSettings.id, settingsId));
  const overrides = row ? overridesOf(row) : null;
  const overridden = overrides ? issuerFields.filter((field) => overrides[field] !== null) : [];
  const issuer = { ...defaults };
  for (const field of overridden) Object.assign(issuer, { [field]: overrides?.[field] });
  // A tax id and its type go together: an overridden id brings its own type.
  if (overridden.includes("taxId")) issuer.taxIdType = overrides?.taxIdType ?? "other";
  return {
    issuer,
    overridden,
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

/**
 * Root's change of the issuer (`PATCH /v1/settings/issuer`): a field given replaces the environment's;
 * `null` goes back to it. A logo must be a readable PNG or JPEG file of at most 2 MB. Audited as
 * `settings.issuer_updated` with the issuer before and after.
 */
export async function updateIssuerSettings({
  db,
  defaults,
  changes,
  actor,
  now,
}: {
  db: Database;
  defaults: InvoiceIssuerDetails;
  changes: Partial<IssuerOverrides>;
  actor: string;
  now: Date;
}): Promise<IssuerSettingsView> {
  const problems = validateIssuerChanges(changes);
  if (typeof changes.logoPath === "string") {
    const problem = await logoProblem(changes.logoPath);
    if (problem) problems.push(`logoPath: ${problem}`);
  }
  if (problems.length > 0) throw invalidEntry("The issuer", problems);
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(issuerSettings)
      .where(eq(issuerSettings.id, settingsId))
      .for("update");
    const before = await readIssuerSettings({ executor: tx, defaults });
    const next: IssuerOverrides = current
      ? overridesOf(current)
      : {
          legalName: null,
          address: null,
          taxId: null,
          taxIdType: null,
          email: null,
          logoPath: null,
        };
    for (const field of issuerFields) {
      if (changes[field] !== undefined) Object.assign(next, { [field]: changes[field] });
    }
    if (changes.taxId === null) next.taxIdType = null;
    const values = { ...next, updatedBy: actor, updatedAt: now };
    await tx
      .insert(issuerSettings)
      .values({ id: settingsId, ...values })
      .onConflictDoUpdate({ target: issuerSettings.id, set: values });
    const after = await readIssuerSettings({ executor: tx, defaults });
    await recordAudit({
      executor: tx,
      entry: {
        action: "settings.issuer_updated",
        actor,
        organizationId: null,
        before: before.issuer,
        after: after.issuer,
        metadata: { overridden: after.overridden },
      },
      now,
    });
    return after;
  });
}

function overridesOf(row: typeof issuerSettings.$inferSelect): IssuerOverrides {
  return {
    legalName: row.legalName,
    address: row.address,
    taxId: row.taxId,
    taxIdType: row.taxIdType as TaxIdType | null,
    email: row.email,
    logoPath: row.logoPath,
  };
}

function validateIssuerChanges(changes: Partial<IssuerOverrides>): string[] {
  const problems: string[] = [];
  const address: PostalAddress | null | undefined = changes.address;
  if (address && !isCountryCode(address.country)) {
    problems.push(
      `address.country: ${JSON.stringify(address.country)} is not an ISO 3166-1 alpha-2 country code; use two upper-case letters such as AR or ES`,
    );
  }
  if (changes.taxIdType !== undefined && changes.taxIdType !== null && !changes.taxId) {
    problems.push("taxIdType: send it with the taxId it describes");
  }
  if (changes.taxId) {
    const type = changes.taxIdType ?? "other";
    const problem = taxIdProblem({ type, value: changes.taxId });
    if (problem)
      problems.push(`taxId: ${JSON.stringify(changes.taxId)} is not a valid ${type}: ${problem}`);
  }
  return problems;
}

/**
 * The logo's bytes when `path` is a readable PNG or JPEG file of at most 2 MB, else why not. The PDF
 * draws it with pdfkit, which reads both formats.
 */
export async function readLogo(
  path: string,
): Promise<{ bytes: Buffer; problem: null } | { bytes: null; problem: string }> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const { size, isFile } = await handle.stat().then((stat) => ({
      size: stat.size,
      isFile: stat.isFile(),
    }));
    if (!isFile) return { bytes: null, problem: `${path} is not a file` };
    if (size > maxLogoBytes) {
      return {
        bytes: null,
        problem: `${path} is ${size} bytes; a logo may have at most ${maxLogoBytes}`,
      };
    }
    const bytes = await handle.readFile();
    const png = bytes.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    if (!png && !jpeg) return { bytes: null, problem: `${path} is neither a PNG nor a JPEG image` };
    return { bytes, problem: null };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return {
      bytes: null,
      problem: `${path} cannot be read by the service (${code ?? "error"}); give the path of a PNG or JPEG file on the server`,
    };
  } finally {
    await handle?.close();
  }
}

async function logoProblem(path: string): Promise<string | null> {
  return (await readLogo(path)).problem;
}
