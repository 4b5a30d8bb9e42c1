import { and, eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { payments } from "../db/schema/index.ts";

export type PaymentRow = typeof payments.$inferSelect;

/** The payment a provider knows by this id (unique per provider), optionally locked for update. */
export async function findProviderPayment({
  executor,
  provider,
  providerPaymentId,
  forUpdate = false,
}: {
  executor: Executor;
  provider: string;
  providerPaymentId: string;
  forUpdate?: boolean;
}): Promise<PaymentRow | null> {
  const query = executor
    .select()
    .from(payments)
    .where(and(eq(payments.provider, provider), eq(payments.providerPaymentId, providerPaymentId)));
  const [payment] = forUpdate ? await query.for("update") : await query;
  return payment ?? null;
}
