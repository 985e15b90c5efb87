-- R-1a, R-1b: the copy keeps which regions are directly administered (济源 is its own
-- county-level unit); the catalog mirror fills it on its next pull of the regions.
ALTER TABLE catalog_regions ADD COLUMN directly_administered BOOLEAN NOT NULL DEFAULT FALSE;
