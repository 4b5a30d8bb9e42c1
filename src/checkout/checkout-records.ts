import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { checkouts } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";

export type CheckoutRow = typeof checkouts.$inferSelect;

export async function getCheckout({
  executor,
  checkoutId,
  organizationId,
  forUpdate = false,
}: {
  executor: Executor;
  checkoutId: string;
  /** When given, a checkout of another organization is "not found". */
  organizationId?: string;
  forUpdate?: boolean;
}): Promise<CheckoutRow> {
  const query = executor.select().from(checkouts).where(eq(checkouts.id, checkoutId));
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row || (organizationId !== undefined && row.organizationId !== organizationId)) {
    throw notFound("Checkout", checkoutId);
  }
  return row;
}
