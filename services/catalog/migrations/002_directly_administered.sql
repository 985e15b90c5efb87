-- R-1a, R-1b: 省直管 regions take their quotas straight from a project (data on the region).
ALTER TABLE regions ADD COLUMN directly_administered BOOLEAN NOT NULL DEFAULT FALSE;
