ALTER TABLE "invoice_lines" ADD COLUMN "discount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "addon_id" text;--> statement-breakpoint
ALTER TABLE "pending_items" ADD COLUMN "discount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "pending_items_subscription_period_idx" ON "pending_items" USING btree ("subscription_id","period_end");--> statement-breakpoint
-- Lines issued before this migration: each invoice's coupon discount is shared over the charges it applied
-- to (positive lines that are not prorated) in proportion to their amounts, the units left over going to
-- the largest remainders, earlier lines first (as allocateProportionally does for new invoices).
WITH eligible AS (
  SELECT l.invoice_id, l.position, i.discount AS invoice_discount,
         div(l.amount::numeric * i.discount, sum(l.amount) OVER w) AS share,
         mod(l.amount::numeric * i.discount, sum(l.amount) OVER w) AS remainder
    FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
   WHERE i.discount > 0 AND NOT l.proration AND l.amount > 0
  WINDOW w AS (PARTITION BY l.invoice_id)
), ranked AS (
  SELECT invoice_id, position, share,
         row_number() OVER (PARTITION BY invoice_id ORDER BY remainder DESC, position) AS rank,
         invoice_discount - sum(share) OVER (PARTITION BY invoice_id) AS leftover
    FROM eligible
)
UPDATE invoice_lines l
   SET discount = (r.share + CASE WHEN r.rank <= r.leftover THEN 1 ELSE 0 END)::bigint
  FROM ranked r
 WHERE l.invoice_id = r.invoice_id AND l.position = r.position;--> statement-breakpoint
-- Add-on lines issued before this migration name their add-on only in the description ("Extra seat × 2").
UPDATE invoice_lines l
   SET addon_id = v.addon_id
  FROM invoices i, subscription_items si, addon_versions v
 WHERE l.kind = 'addon' AND l.addon_id IS NULL AND i.id = l.invoice_id
   AND si.subscription_id = i.subscription_id
   AND v.addon_id = si.addon_id AND v.version = si.addon_version
   AND l.description = v.name || ' × ' || l.quantity;
