import { and, asc, eq, isNull } from "drizzle-orm";
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
  const description = validated.description;
  const storedToken = validated.storedToken ?? token;
  return db.transaction(async (tx) => {
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
