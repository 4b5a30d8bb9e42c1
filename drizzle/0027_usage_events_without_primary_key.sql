-- usage_events loses its primary key (organization_id, event_id, recorded_at): usage_event_ids already keeps
-- event ids unique across every month, and no query looks an event up by its id, so the key's index was
-- maintained by every insert for nothing. (organization_id, feature_key, occurred_at) stays indexed.
ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_organization_id_event_id_recorded_at_pk";
