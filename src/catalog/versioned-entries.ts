import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import type { addons, plans } from "../db/schema/index.ts";
import { invalidEntry, notFound, validationError } from "../errors.ts";
import type { Feature } from "./catalog-types.ts";
import { loadFeatureMap } from "./features.ts";

/**
 * Plans and add-ons are versioned the same way: a head row holds the id, the current version and the
 * archive state; an edit writes the next version and moves the head to it, and earlier versions never
 * change, so subscriptions keep what they bought. A kind supplies its own tables and rules; the steps
 * around them are these.
 */

export interface VersionReference {
  id: string;
  version: number;
}

type HeadTable = typeof plans | typeof addons;
type HeadRow = HeadTable["$inferSelect"];

export interface VersionedKind<Definition, Version extends Definition & VersionReference> {
  /** "plan", "add-on": in messages. */
  noun: string;
  /** "A plan", "An add-on": in the duplicate-id message. */
  aNoun: string;
  /** The audit actions are `catalog.<auditName>_created` and `catalog.<auditName>_updated`. */
  auditName: string;
  /** Where the entry is edited, e.g. `/v1/plans`. */
  path: string;
  heads: HeadTable;
  /** What is wrong with `definition`, phrased so the operator knows what to fix (pure). */
  problemsOf(args: { definition: Definition; features: ReadonlyMap<string, Feature> }): string[];
  insertVersion(
    executor: Executor,
    args: { id: string; version: number; definition: Definition; now: Date },
  ): Promise<void>;
  /** The versions asked for, in that order; versions that do not exist are left out. */
  loadVersions(executor: Executor, references: VersionReference[]): Promise<Version[]>;
  definitionOf(version: Version): Definition;
  /**
   * The heads of `ids` with their current versions and any of `versions` at or below the current one,
   * in one statement; `getMany` needs it.
   */
  loadHeadsWithVersions?(
    executor: Executor,
    args: { ids: string[]; versions: number[] },
  ): Promise<{ head: HeadRow; version: Version | null }[]>;
}

/** The largest version number the `version` columns hold (a larger one exists nowhere). */
const maxVersion = 2_147_483_647;

/** The create, edit and read steps of a versioned kind whose head rows are `Head`. */
export function versionedEntries<
  Definition extends object,
  Version extends Definition & VersionReference,
  Head extends HeadRow,
>(kind: VersionedKind<Definition, Version>) {
  type Entry = Version & Omit<Head, "id">;
  const { heads } = kind;
  const title = kind.noun.charAt(0).toUpperCase() + kind.noun.slice(1);

  async function assertValid(executor: Executor, definition: Definition) {
    const problems = kind.problemsOf({ definition, features: await loadFeatureMap(executor) });
    if (problems.length > 0) {
      throw invalidEntry(`The ${kind.noun}`, problems);
    }
  }

  const withHead = (version: Version, head: Head): Entry => {
    const { id: _id, ...rest } = head;
    return { ...version, ...rest };
  };

  /** The entry at its current version, or at `version` (old versions stay readable). */
  async function get({
    db,
    id,
    version,
  }: {
    db: Executor;
    id: string;
    version?: number | undefined;
  }): Promise<Entry> {
    const [head] = (await db.select().from(heads).where(eq(heads.id, id))) as Head[];
    if (!head) throw notFound(title, id);
    const wanted = version ?? head.currentVersion;
    // Nothing exists above the current version (the number may not even fit the column).
    const [loaded] =
      wanted <= head.currentVersion ? await kind.loadVersions(db, [{ id, version: wanted }]) : [];
    if (!loaded) throw notFound(`${title} version`, `${id}@${wanted}`);
    return withHead(loaded, head);
  }

  /**
   * Several entries, each at its current version or at the version asked for, in the order asked for;
   * `not_found` as `get` throws it, for the first entry or version that does not exist.
   */
  async function getMany({
    db,
    references,
  }: {
    db: Executor;
    references: readonly { id: string; version?: number | undefined }[];
  }): Promise<Entry[]> {
    if (references.length === 0) return [];
    if (!kind.loadHeadsWithVersions) {
      throw new Error(`Reading several ${kind.noun}s needs the kind's loadHeadsWithVersions`);
    }
    const versions = [
      ...new Set(
        references.flatMap(({ version }) =>
          version !== undefined &&
          Number.isInteger(version) &&
          version >= 1 &&
          version <= maxVersion
            ? [version]
            : [],
        ),
      ),
    ];
    const rows = await kind.loadHeadsWithVersions(db, {
      ids: [...new Set(references.map(({ id }) => id))],
      versions,
    });
    return references.map(({ id, version }) => {
      const head = rows.find((row) => row.head.id === id)?.head as Head | undefined;
      if (!head) throw notFound(title, id);
      const wanted = version ?? head.currentVersion;
      const found = rows.find((row) => row.head.id === id && row.version?.version === wanted);
      if (!found?.version) throw notFound(`${title} version`, `${id}@${wanted}`);
      return withHead(found.version, head);
    });
  }

  /** Each head with its current version, in the heads' order. */
  async function withCurrentVersions(executor: Executor, rows: Head[]): Promise<Entry[]> {
    const versions = await kind.loadVersions(
      executor,
      rows.map((head) => ({ id: head.id, version: head.currentVersion })),
    );
    const byId = new Map(versions.map((version) => [version.id, version]));
    return rows.map((head) => {
      const version = byId.get(head.id);
      if (!version)
        throw new Error(`${kind.noun} ${head.id} has no version ${head.currentVersion}`);
      return withHead(version, head);
    });
  }

  /**
   * Creates the entry at version 1 with the head's own columns (`head`, e.g. an add-on's kind), audited
   * as `catalog.<auditName>_created` by `actor`.
   */
  async function create({
    db,
    id,
    head,
    definition,
    actor,
    now,
  }: {
    db: Database;
    id: string;
    head: Omit<Head, "id" | "currentVersion" | "archivedAt" | "createdAt">;
    definition: Definition;
    actor: string;
    now: Date;
  }): Promise<Entry> {
    await db.transaction(async (tx) => {
      await assertValid(tx, definition);
      const inserted = await tx
        .insert(heads)
        .values({ ...head, id, currentVersion: 1, createdAt: now } as Head)
        .onConflictDoNothing()
        .returning({ id: heads.id });
      if (inserted.length === 0) {
        throw validationError(
          `${kind.aNoun} with id "${id}" already exists. Choose another id, or edit it with PATCH ${kind.path}/${id} (which creates a new version).`,
          { id },
        );
      }
      await kind.insertVersion(tx, { id, version: 1, definition, now });
      await recordAudit({
        executor: tx,
        entry: {
          action: `catalog.${kind.auditName}_created`,
          actor,
          organizationId: null,
          after: { id, ...head, version: 1, ...definition },
        },
        now,
      });
    });
    return get({ db, id });
  }

  /**
   * Writes the entry's next version: its current definition with `changes` (fields left undefined keep
   * their value), validated as a whole. Audited as `catalog.<auditName>_updated` by `actor`.
   */
  async function update({
    db,
    id,
    changes,
    actor,
    now,
  }: {
    db: Database;
    id: string;
    changes: Partial<Definition>;
    actor: string;
    now: Date;
  }): Promise<Entry> {
    // The answer is read in the writing transaction: after commit, a concurrent edit may already have
    // written the version after this one.
    return db.transaction(async (tx) => {
      const [head] = await tx
        .select({ currentVersion: heads.currentVersion })
        .from(heads)
        .where(eq(heads.id, id))
        .for("update");
      if (!head) throw notFound(title, id);
      const [current] = await kind.loadVersions(tx, [{ id, version: head.currentVersion }]);
      if (!current) throw notFound(`${title} version`, `${id}@${head.currentVersion}`);
      const before = kind.definitionOf(current);
      const definition: Definition = { ...before, ...definedFields(changes) };
      await assertValid(tx, definition);
      const version = head.currentVersion + 1;
      await kind.insertVersion(tx, { id, version, definition, now });
      await tx.update(heads).set({ currentVersion: version }).where(eq(heads.id, id));
      await recordAudit({
        executor: tx,
        entry: {
          action: `catalog.${kind.auditName}_updated`,
          actor,
          organizationId: null,
          before: { id, version: head.currentVersion, ...before },
          after: { id, version, ...definition },
        },
        now,
      });
      return get({ db: tx, id, version });
    });
  }

  return { create, update, get, getMany, withCurrentVersions };
}

/** `changes` without the fields left undefined (those keep their current value). */
function definedFields<Definition extends object>(
  changes: Partial<Definition>,
): Partial<Definition> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<Definition>;
}
