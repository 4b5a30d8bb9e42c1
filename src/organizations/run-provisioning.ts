import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { organizations, provisioningSteps as stepRecords } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import type { Logger } from "../logger.ts";
import type { ProvisioningContext, ProvisioningStep } from "./provisioning-steps.ts";

/** A step's recorded status: what its run did (`done`, `skipped`), or what became of it after a failure. */
export type ProvisioningStepStatus = "done" | "skipped" | "failed" | "compensated";

export type ProvisioningOutcome =
  | { ok: true }
  | { ok: false; failedStep: string; error: string; cause: unknown };

/**
 * Runs the steps in order, recording each. When one fails, every step done so far (and the failing one,
 * which may be half-done) is compensated in reverse order, so nothing is left half-made; the organization
 * is marked `failed` with the step, and a retry runs the whole pipeline again.
 */
export async function runProvisioning({
  steps,
  context,
  logger,
}: {
  steps: readonly ProvisioningStep[];
  context: ProvisioningContext;
  logger: Logger;
}): Promise<ProvisioningOutcome> {
  const { db, organization, now } = context;
  const record = (step: ProvisioningStep, status: ProvisioningStepStatus, error: string | null) =>
    db
      .insert(stepRecords)
      .values({
        organizationId: organization.id,
        step: step.name,
        position: steps.indexOf(step),
        status,
        error,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [stepRecords.organizationId, stepRecords.step],
        set: { status, error, updatedAt: now },
      });

  for (const [index, step] of steps.entries()) {
    try {
      await record(step, await step.run(context), null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.warn(
        { organizationId: organization.id, step: step.name, err: error },
        "provisioning step failed",
      );
      const undo = steps.slice(0, index + 1).reverse();
      for (const done of undo) {
        try {
          await done.compensate(context);
          if (done !== step) await record(done, "compensated", null);
        } catch (compensationError) {
          logger.error(
            { organizationId: organization.id, step: done.name, err: compensationError },
            "provisioning compensation failed",
          );
          await record(
            done,
            "failed",
            `compensation failed: ${compensationError instanceof Error ? compensationError.message : String(compensationError)}`,
          );
        }
      }
      await record(step, "failed", message);
      await recordAudit({
        executor: db,
        entry: {
          action: "organization.provisioning_failed",
          actor: organization.createdBy ?? "system",
          organizationId: organization.id,
          after: { failedStep: step.name, error: message },
        },
        now,
      });
      await db
        .update(organizations)
        .set({
          provisioningStatus: "failed",
          provisioningFailedStep: step.name,
          provisioningError: message,
          updatedAt: now,
        })
        .where(eq(organizations.id, organization.id));
      return { ok: false, failedStep: step.name, error: message, cause: error };
    }
  }
  await db.transaction(async (tx) => {
    await tx
      .update(organizations)
      .set({
        provisioningStatus: "active",
        provisioningFailedStep: null,
        provisioningError: null,
        updatedAt: now,
      })
      .where(eq(organizations.id, organization.id));
    await recordAudit({
      executor: tx,
      entry: {
        action: "organization.created",
        actor: organization.createdBy ?? "system",
        organizationId: organization.id,
        after: {
          id: organization.id,
          name: organization.name,
          status: organization.status,
          currency: organization.currency,
          billingAnchor: organization.billingAnchor,
          owner: organization.ownerUserId
            ? { userId: organization.ownerUserId, email: organization.ownerEmail }
            : null,
          steps: steps.map((step) => step.name),
        },
      },
      now,
    });
    await publishEvent({
      executor: tx,
      type: "organization.created",
      organizationId: organization.id,
      data: {
        organizationId: organization.id,
        name: organization.name,
        status: organization.status,
        currency: organization.currency,
        locale: organization.locale,
        billingAnchor: organization.billingAnchor,
        ownerUserId: organization.ownerUserId,
        testClockId: organization.testClockId,
      },
      now,
    });
  });
  return { ok: true };
}
