-- Geo near on `location`: points are found by their planar box in the (tenant, location) index and only
-- other shapes (lines, polygons, multi-geometries) by their geography box (query/geo.ts, nearIndexArms).
-- A point entity then writes no geography index entry, and a geo near 500 m reads fewer candidates
-- (the planar box of a circle is tighter than the geography box of its cube). Lines and polygons keep a
-- geography index: their great-circle edges can leave the planar box of their vertices.
-- The old index goes first: its exclusive lock is then the strongest this migration takes, never an
-- upgrade from the share lock of CREATE INDEX (which could deadlock with another server's writes).
DROP INDEX IF EXISTS hub_entities_tenant_location_geog;
CREATE INDEX IF NOT EXISTS hub_entities_tenant_shape_geog ON hub_entities USING gist (tenant, (location::geography))
  WHERE GeometryType(location) <> 'POINT';
