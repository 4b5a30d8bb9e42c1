import { and, asc, desc, eq, isNull } from "drizzle-orm";
import type { Database, Executor } from "../db/database.ts";
import { organizations, paymentMethods } from "../db/schema/index.ts";
import { AbonoError, notFound, validationError } from "../errors.ts";
import { newId } from "../ids.ts";
import { PaymentMethodRejectedError } from "./payment-provider.ts";
import type { PaymentProviders } from "./payment-providers.ts";

export type PaymentMethod = typeof paymentMethods.$inferSelect;

/**
 * Stores a payment method for an organization. The first one becomes the default; `makeDefault` moves
 * the default to the new one. One default per organization (a unique index guarantees it).
 */
export async function addPaymentMethod({
  db,
  providers,
  organizationId,
  provider,
  token,
  makeDefault,
  now,
}: {
  db: Database;
  providers: PaymentProviders;
  organizationId: string;
  provider: string;
  token: string;
  makeDefault: boolean;
  now: Date;
}): Promise<PaymentMethod> {
  const adapter = providers.get(provider);
  if (!adapter) {
    throw validationError(
      `Payment provider "${provider}" is not available here; available: ${[...providers.keys()].join(", ") || "none (the sandbox needs ABONO_TEST_MODE=true)"}.`,
    );
  }
  const [organization] = await db
    .select({ email: organizations.ownerEmail })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw notFound("Organization", organizationId);
  let validated: Awaited<ReturnType<typeof adapter.validatePaymentMethod>>;
  try {
    validated = await adapter.validatePaymentMethod({
      token,
      organizationId,
      email: organization.email,
    });
  } catch (error) {
    if (error instanceof PaymentMethodRejectedError) throw validationError(error.message);
    throw new AbonoError(
      "provider_error",
      `${provider} could not check the payment method: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return storePaymentMethod({
    db,
    organizationId,
    provider,
    storedToken: validated.storedToken ?? token,
    description: validated.description,
    makeDefault,
    reuseStored: false,
    now,
  });
}

/**
 * Stores a payment method the provider has already accepted. With `reuseStored`, a method with the same
 * provider token that the organization already has (not removed) is returned instead of a second row:
 * a card saved on a provider's page is reported twice (webhook and return page), possibly at once, so
 * the organization's row lock serializes the two and the second finds the first's row.
 */
export async function storePaymentMethod({
  db,
  organizationId,
  provider,
  storedToken,
  description,
  makeDefault,
  reuseStored,
  now,
}: {
  db: Database;
  organizationId: string;
  provider: string;
  storedToken: string;
  description: string | null;
  makeDefault: boolean;
  reuseStored: boolean;
  now: Date;
}): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    if (reuseStored) {
      await tx
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.id, organizationId))
        .for("update");
      const [stored] = await tx
        .select()
        .from(paymentMethods)
        .where(
          and(
            eq(paymentMethods.organizationId, organizationId),
            eq(paymentMethods.provider, provider),
            eq(paymentMethods.token, storedToken),
            isNull(paymentMethods.detachedAt),
          ),
        );
      if (stored) return stored;
    }
    const current = await defaultPaymentMethod({ executor: tx, organizationId, forUpdate: true });
    const isDefault = makeDefault || current === null;
    if (isDefault && current) {
      await tx
        .update(paymentMethods)
        .set({ isDefault: false })
        .where(eq(paymentMethods.id, current.id));
    }
    const [created] = await tx
      .insert(paymentMethods)
      .values({
        id: newId("pm", now.getTime()),
        organizationId,
        provider,
        token: storedToken,
        isDefault,
        description,
        createdAt: now,
      })
      .returning();
    if (!created) throw new Error("payment method insert returned no row");
    return created;
  });
}

export async function defaultPaymentMethod({
  executor,
  organizationId,
  forUpdate = false,
}: {
  executor: Executor;
  organizationId: string;
  forUpdate?: boolean;
}): Promise<PaymentMethod | null> {
  const query = executor
    .select()
    .from(paymentMethods)
    .where(
      and(
        eq(paymentMethods.organizationId, organizationId),
        eq(paymentMethods.isDefault, true),
        isNull(paymentMethods.detachedAt),
      ),
    );
  const [method] = forUpdate ? await query.for("update") : await query;
  return method ?? null;
}

export async function listPaymentMethods({
  db,
  organizationId,
}: {
  db: Database;
  organizationId: string;
}): Promise<PaymentMethod[]> {
  return db
    .select()
    .from(paymentMethods)
    .where(
      and(eq(paymentMethods.organizationId, organizationId), isNull(paymentMethods.detachedAt)),
    )
    .orderBy(asc(paymentMethods.createdAt));
}

/** A stored, not removed, payment method of the organization, locked for the transaction; 404 otherwise. */
async function lockPaymentMethod({
  executor,
  organizationId,
  paymentMethodId,
}: {
  executor: Executor;
  organizationId: string;
  paymentMethodId: string;
}): Promise<PaymentMethod> {
  const [method] = await executor
    .select()
    .from(paymentMethods)
    .where(
      and(
        eq(paymentMethods.id, paymentMethodId),
        eq(paymentMethods.organizationId, organizationId),
        isNull(paymentMethods.detachedAt),
      ),
    )
    .for("update");
  if (!method) throw notFound("Payment method", paymentMethodId);
  return method;
}

/** Makes a stored method the organization's default: renewals and purchases charge it from now on. */
export async function setDefaultPaymentMethod({
  db,
  organizationId,
  paymentMethodId,
}: {
  db: Database;
  organizationId: string;
  paymentMethodId: string;
}): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    const current = await defaultPaymentMethod({ executor: tx, organizationId, forUpdate: true });
    const method = await lockPaymentMethod({ executor: tx, organizationId, paymentMethodId });
    if (current?.id === method.id) return method;
    if (current) {
      await tx
        .update(paymentMethods)
        .set({ isDefault: false })
        .where(eq(paymentMethods.id, current.id));
    }
    const [updated] = await tx
      .update(paymentMethods)
      .set({ isDefault: true })
      .where(eq(paymentMethods.id, method.id))
      .returning();
    if (!updated) throw new Error("payment method update returned no row");
    return updated;
  });
}

/**
 * Removes a stored method (kept on record, marked detached: past payments still name it). Removing the
 * default makes the most recently added remaining method the default, so renewals keep a method to charge
 * while there is one.
 */
export async function removePaymentMethod({
  db,
  organizationId,
  paymentMethodId,
  now,
}: {
  db: Database;
  organizationId: string;
  paymentMethodId: string;
  now: Date;
}): Promise<{ removed: PaymentMethod; newDefault: PaymentMethod | null }> {
  return db.transaction(async (tx) => {
    await defaultPaymentMethod({ executor: tx, organizationId, forUpdate: true });
    const method = await lockPaymentMethod({ executor: tx, organizationId, paymentMethodId });
    const [removed] = await tx
      .update(paymentMethods)
      .set({ detachedAt: now, isDefault: false })
      .where(eq(paymentMethods.id, method.id))
      .returning();
    if (!removed) throw new Error("payment method update returned no row");
    if (!method.isDefault) return { removed, newDefault: null };
    const [next] = await tx
      .select()
      .from(paymentMethods)
      .where(
        and(eq(paymentMethods.organizationId, organizationId), isNull(paymentMethods.detachedAt)),
      )
      .orderBy(desc(paymentMethods.createdAt))
      .limit(1);
    if (!next) return { removed, newDefault: null };
    const [promoted] = await tx
      .update(paymentMethods)
      .set({ isDefault: true })
      .where(eq(paymentMethods.id, next.id))
      .returning();
    return { removed, newDefault: promoted ?? null };
  });
}
