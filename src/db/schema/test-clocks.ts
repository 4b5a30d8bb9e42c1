import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Test clocks (test mode): organizations attached to one read their time from `frozen_time`. */
export const testClocks = pgTable("test_clocks", {
  id: text("id").primaryKey(),
  name: text("name"),
  frozenTime: timestamp("frozen_time", { withTimezone: true }).notNull(),
  /** `failed`: the last advance left due work failing (see the advance's answer); it may advance again. */
  status: text("status", { enum: ["ready", "advancing", "failed"] }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
});
