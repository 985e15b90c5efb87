-- R-27: a designation runs for a term (the tier policy's designation_years, 2 by default) and
-- ends unless renewed. Designations made before terms existed were open-ended; they get the
-- default term from their first year.
ALTER TABLE tier_policies ADD COLUMN designation_years INT NOT NULL DEFAULT 2;
UPDATE county_periods SET to_year = from_year + 1 WHERE kind = 1 AND to_year = 0;
