-- Change notifications for the in-process entitlement caches (docs/entitlements.md "Caching"). A process
-- LISTENs on abono_entitlements and answers checks from memory while it is listening; every change a check
-- depends on is notified at commit, in commit order. Payloads are JSON arrays:
--   ["v", organization, version]       the organization's entitlement version was bumped
--   ["u", organization, feature, period start (epoch ms), used, used_purchased, overage, revision]
--                                      a usage counter was created or changed (bigints as strings)
--   ["x", organization]                a usage counter was deleted
--   ["g", organization]                purchased units were consumed (entitlement_grants.remaining)
--   ["c", test clock]                  a test clock moved
--   ["k"]                              the catalog changed (features, plans, add-ons)
CREATE OR REPLACE FUNCTION abono_bump_entitlement_version(organization text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bumped bigint;
BEGIN
  IF organization IS NULL THEN RETURN; END IF;
  INSERT INTO entitlement_versions (organization_id, version) VALUES (organization, 1)
    ON CONFLICT (organization_id) DO UPDATE SET version = entitlement_versions.version + 1
    RETURNING version INTO bumped;
  PERFORM pg_notify('abono_entitlements', json_build_array('v', organization, bumped)::text);
END;
$$;
--> statement-breakpoint
-- The revision orders a counter's values: a cache applies a notified value only if it is newer than its own.
CREATE FUNCTION abono_usage_counter_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.used, NEW.used_purchased, NEW.overage) IS DISTINCT FROM (OLD.used, OLD.used_purchased, OLD.overage) THEN
    NEW.revision := OLD.revision + 1;
  ELSE
    NEW.revision := OLD.revision;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER usage_counters_revision BEFORE UPDATE ON usage_counters
  FOR EACH ROW EXECUTE FUNCTION abono_usage_counter_revision();
--> statement-breakpoint
CREATE FUNCTION abono_usage_counter_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('abono_entitlements', json_build_array('x', OLD.organization_id)::text);
  ELSE
    PERFORM pg_notify('abono_entitlements', json_build_array('u', NEW.organization_id, NEW.feature_key,
      (extract(epoch from NEW.period_start) * 1000)::bigint, NEW.used::text, NEW.used_purchased::text,
      NEW.overage::text, NEW.revision)::text);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER usage_counters_created AFTER INSERT OR DELETE ON usage_counters
  FOR EACH ROW EXECUTE FUNCTION abono_usage_counter_changed();
--> statement-breakpoint
CREATE TRIGGER usage_counters_changed AFTER UPDATE ON usage_counters
  FOR EACH ROW WHEN (OLD.revision IS DISTINCT FROM NEW.revision) EXECUTE FUNCTION abono_usage_counter_changed();
--> statement-breakpoint
CREATE FUNCTION abono_grant_consumed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('abono_entitlements', json_build_array('g', NEW.organization_id)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER entitlement_grants_consumed AFTER UPDATE OF remaining ON entitlement_grants
  FOR EACH ROW WHEN (OLD.remaining IS DISTINCT FROM NEW.remaining) EXECUTE FUNCTION abono_grant_consumed();
--> statement-breakpoint
CREATE FUNCTION abono_test_clock_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('abono_entitlements', json_build_array('c', NEW.id)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER test_clocks_moved AFTER UPDATE OF frozen_time ON test_clocks
  FOR EACH ROW WHEN (OLD.frozen_time IS DISTINCT FROM NEW.frozen_time) EXECUTE FUNCTION abono_test_clock_moved();
--> statement-breakpoint
CREATE FUNCTION abono_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('abono_entitlements', '["k"]');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER features_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON features
  FOR EACH STATEMENT EXECUTE FUNCTION abono_catalog_changed();
--> statement-breakpoint
CREATE TRIGGER plans_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON plans
  FOR EACH STATEMENT EXECUTE FUNCTION abono_catalog_changed();
--> statement-breakpoint
CREATE TRIGGER plan_versions_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON plan_versions
  FOR EACH STATEMENT EXECUTE FUNCTION abono_catalog_changed();
--> statement-breakpoint
CREATE TRIGGER plan_overage_prices_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON plan_overage_prices
  FOR EACH STATEMENT EXECUTE FUNCTION abono_catalog_changed();
--> statement-breakpoint
CREATE TRIGGER addon_versions_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON addon_versions
  FOR EACH STATEMENT EXECUTE FUNCTION abono_catalog_changed();
