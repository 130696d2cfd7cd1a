-- Cross-site requests are refused by their origin (http.CrossOriginProtection):
-- sessions no longer carry a CSRF token. The column becomes optional now, so
-- that web replicas of the previous release keep working during a rolling
-- update; the next release drops it.
ALTER TABLE web_session ALTER COLUMN csrf_token DROP NOT NULL;
