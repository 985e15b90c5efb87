-- R-10/R-16: the rural flag as it was at nomination, so reports need no join with teachers.
ALTER TABLE enrollments ADD COLUMN rural BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX enrollments_for_rates ON enrollments (year, project_id, county_code, state, rural);
-- R-9: nominations refused as ineligible, once per teacher and project.
CREATE TABLE ineligible_nominations (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  teacher_id VARCHAR(32) NOT NULL,
  reason VARCHAR(255) NOT NULL,
  time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, project_id, teacher_id),
  KEY ineligible_by_county (year, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
