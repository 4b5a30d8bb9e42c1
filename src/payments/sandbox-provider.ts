import { randomBytes } from "node:crypto";
import { PaymentMethodRejectedError, type PaymentProvider } from "./payment-provider.ts";

/**
 * The test-mode provider. `pm_sandbox_ok` always succeeds, `pm_sandbox_declined` always declines; nothing
 * leaves the process.
 */
export const sandboxTokens = {
  ok: "pm_sandbox_ok",
  declined: "pm_sandbox_declined",
} as const;

export function createSandboxProvider(): PaymentProvider {
  const reference = (prefix: string) => `${prefix}_sandbox_${randomBytes(8).toString("hex")}`;
  return {
    name: "sandbox",
    async validatePaymentMethod({ token }) {
      if (token === sandboxTokens.ok) return { description: "Sandbox card (always succeeds)" };
      if (token === sandboxTokens.declined)
        return { description: "Sandbox card (always declines)" };
      throw new PaymentMethodRejectedError(
        `Unknown sandbox token "${token}"; use ${sandboxTokens.ok} or ${sandboxTokens.declined}.`,
      );
    },
    async charge({ token }) {
      if (token === sandboxTokens.ok)
        return { status: "succeeded", providerPaymentId: reference("ch") };
      return {
        status: "failed",
        code: "card_declined",
        message: "The sandbox card was declined.",
        providerPaymentId: reference("ch"),
      };
    },
    async refund() {
      return { status: "succeeded", providerRefundId: reference("re") };
    },
  };
}
