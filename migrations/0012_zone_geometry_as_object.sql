-- Zone geometries were stored as a JSON string holding the GeoJSON text (a string bound to a
-- jsonb parameter), so readers handed them out as strings. Store each as the GeoJSON object.
UPDATE "zone_versions" SET "geometry" = ("geometry" #>> '{}')::jsonb WHERE jsonb_typeof("geometry") = 'string';
