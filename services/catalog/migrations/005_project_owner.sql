-- R-32: cities and counties run their own 市培 and 县培 projects. owner_code is the city or
-- county-level unit that runs one ('' for the province's 国培 and 省培, as every project made
-- before was).
ALTER TABLE projects ADD COLUMN owner_code VARCHAR(12) NOT NULL DEFAULT '',
  ADD INDEX projects_by_owner (year, owner_code, project_id);
