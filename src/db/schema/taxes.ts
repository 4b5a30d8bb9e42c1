import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { PostalAddress } from "./billing-details.ts";

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * Tax rates (docs/billing.md "Taxes"): a percentage with up to 4 decimals, stored exactly, for a country.
 * At most one live rate per country is its default, which applies to organizations billed there that
 * have no rate of their own. Rates never change once created; archive one and create another.
 */
export const taxRates = pgTable(
  "tax_rates",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    percentage: numeric("percentage", { precision: 7, scale: 4 }).notNull(),
    country: text("country").notNull(),
    inclusive: boolean("inclusive").notNull(),
    countryDefault: boolean("country_default").notNull(),
    archivedAt: at("archived_at"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    check("tax_rates_percentage", sql`${table.percentage} >= 0 and ${table.percentage} <= 100`),
    uniqueIndex("tax_rates_one_default_per_country_idx")
      .on(table.country)
      .where(sql`${table.countryDefault} and ${table.archivedAt} is null`),
  ],
);

/**
 * The invoices' issuer, as root set it (`PATCH /v1/settings/issuer`): each field set here wins over its
 * `ABONO_ISSUER_*` variable. One row, id `issuer`.
 */
export const issuerSettings = pgTable("issuer_settings", {
  id: text("id").primaryKey(),
  legalName: text("legal_name"),
  address: jsonb("address").$type<PostalAddress>(),
  taxId: text("tax_id"),
  taxIdType: text("tax_id_type"),
  email: text("email"),
  logoPath: text("logo_path"),
  updatedBy: text("updated_by").notNull(),
  updatedAt: at("updated_at").notNull(),
});
