-- invoice_lines and subscription_items carry their parent's organization_id, the distribution key
-- (docs/scaling.md "Past one PostgreSQL"). Added nullable, filled from the parent, then made NOT NULL.
ALTER TABLE "invoice_lines" ADD COLUMN "organization_id" text;--> statement-breakpoint
ALTER TABLE "subscription_items" ADD COLUMN "organization_id" text;--> statement-breakpoint
UPDATE invoice_lines l
   SET organization_id = i.organization_id
  FROM invoices i
 WHERE i.id = l.invoice_id;--> statement-breakpoint
-- Filling the key changes no entitlement: no version bump, no entitlement.updated event.
ALTER TABLE "subscription_items" DISABLE TRIGGER subscription_items_entitlement_version;--> statement-breakpoint
ALTER TABLE "subscription_items" DISABLE TRIGGER subscription_items_entitlement_event;--> statement-breakpoint
UPDATE subscription_items si
   SET organization_id = s.organization_id
  FROM subscriptions s
 WHERE s.id = si.subscription_id;--> statement-breakpoint
ALTER TABLE "subscription_items" ENABLE TRIGGER subscription_items_entitlement_version;--> statement-breakpoint
ALTER TABLE "subscription_items" ENABLE TRIGGER subscription_items_entitlement_event;--> statement-breakpoint
ALTER TABLE "invoice_lines" ALTER COLUMN "organization_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "subscription_items" ALTER COLUMN "organization_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_items" ADD CONSTRAINT "subscription_items_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" DROP CONSTRAINT "invoice_lines_invoice_id_position_pk";--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_position_organization_id_pk" PRIMARY KEY("invoice_id","position","organization_id");--> statement-breakpoint
ALTER TABLE "subscription_items" DROP CONSTRAINT "subscription_items_subscription_id_addon_id_pk";--> statement-breakpoint
ALTER TABLE "subscription_items" ADD CONSTRAINT "subscription_items_subscription_id_addon_id_organization_id_pk" PRIMARY KEY("subscription_id","addon_id","organization_id");--> statement-breakpoint
-- The entitlement triggers read an item's organization from the item itself, no longer from its subscription.
CREATE OR REPLACE FUNCTION abono_entitlement_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_data record;
  organization text;
BEGIN
  IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    organization := row_data.id;
  ELSE
    organization := row_data.organization_id;
  END IF;
  PERFORM abono_bump_entitlement_version(organization);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION abono_entitlement_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_data record;
  target text;
  flag text;
  org organizations;
  entitlement organization_entitlements;
  at timestamptz;
BEGIN
  IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    target := row_data.id;
  ELSE
    target := row_data.organization_id;
  END IF;
  IF target IS NULL THEN RETURN NULL; END IF;
  flag := 'abono.entitlement_event_' || md5(target);
  IF current_setting(flag, true) = '1' THEN RETURN NULL; END IF;
  SELECT * INTO org FROM organizations WHERE id = target;
  IF NOT FOUND OR org.provisioning_status <> 'active' THEN RETURN NULL; END IF;
  SELECT * INTO entitlement FROM organization_entitlements WHERE organization_id = target;
  IF NOT FOUND THEN RETURN NULL; END IF;
  PERFORM set_config(flag, '1', true);
  -- Dated like the other events of its transaction (the operation's "now"), else by the clock.
  at := coalesce(nullif(current_setting('abono.event_time', true), '')::timestamptz,
                 (SELECT frozen_time FROM test_clocks WHERE id = org.test_clock_id), now());
  PERFORM abono_publish_events(jsonb_build_array(jsonb_build_object(
    'type', 'entitlement.updated',
    'organizationId', target,
    'createdAt', abono_iso(at),
    'data', jsonb_build_object(
      'organizationId', target,
      'planId', entitlement.plan_id,
      'planVersion', entitlement.plan_version,
      'status', entitlement.status,
      'trialEndsAt', abono_iso(entitlement.trial_ends_at),
      'graceEndsAt', abono_iso(entitlement.grace_ends_at),
      'source', entitlement.source,
      'organizationStatus', org.status,
      'version', coalesce((SELECT version FROM entitlement_versions WHERE organization_id = target), 0)))));
  RETURN NULL;
END;
$$;
