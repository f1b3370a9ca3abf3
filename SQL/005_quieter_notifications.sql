-- A new material version cannot make any cache entry stale (a rotation also updates the key's
-- row, which notifies), and notifying on every insert serialised the commits of CreateKey
-- (PostgreSQL takes a global lock to queue notifications at commit). Only updates and deletes
-- of material notify now.
DROP TRIGGER key_material_changed ON key_material;
CREATE TRIGGER key_material_changed AFTER UPDATE OR DELETE ON key_material
    FOR EACH ROW EXECUTE FUNCTION notify_key_change();
