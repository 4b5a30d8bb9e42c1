-- Every change an organization's entitlement is computed from bumps its version and notifies listeners.
-- Checks compare the version with their cached copy, so a committed change is never answered stale.
CREATE FUNCTION abono_bump_entitlement_version(organization text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF organization IS NULL THEN RETURN; END IF;
  INSERT INTO entitlement_versions (organization_id, version) VALUES (organization, 1)
    ON CONFLICT (organization_id) DO UPDATE SET version = entitlement_versions.version + 1;
  PERFORM pg_notify('abono_entitlements', organization);
END;
$$;
--> statement-breakpoint
CREATE FUNCTION abono_entitlement_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_data record;
  organization text;
BEGIN
  IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    organization := row_data.id;
  ELSIF TG_TABLE_NAME = 'subscription_items' THEN
    SELECT organization_id INTO organization FROM subscriptions WHERE id = row_data.subscription_id;
  ELSE
    organization := row_data.organization_id;
  END IF;
  PERFORM abono_bump_entitlement_version(organization);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER organizations_entitlement_version AFTER UPDATE OF status, provisioning_status, test_clock_id ON organizations
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
--> statement-breakpoint
CREATE TRIGGER organization_entitlements_version AFTER INSERT OR UPDATE OR DELETE ON organization_entitlements
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
--> statement-breakpoint
CREATE TRIGGER subscription_items_entitlement_version AFTER INSERT OR UPDATE OR DELETE ON subscription_items
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
--> statement-breakpoint
CREATE TRIGGER entitlement_grants_version AFTER INSERT OR UPDATE OF quantity, expires_at OR DELETE ON entitlement_grants
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
--> statement-breakpoint
CREATE TRIGGER entitlement_overrides_version AFTER INSERT OR UPDATE OR DELETE ON entitlement_overrides
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
--> statement-breakpoint
CREATE TRIGGER subscriptions_entitlement_version AFTER UPDATE OF current_period_start, status ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION abono_entitlement_changed();
