-- R-12: blacklist entries derived from enrollment outcomes.
CREATE TABLE blacklist_entries (
  entry_id VARCHAR(32) NOT NULL PRIMARY KEY,
  teacher_id VARCHAR(32) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  enrollment_id VARCHAR(32) NOT NULL,
  cause TINYINT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  lifted BOOLEAN NOT NULL DEFAULT FALSE,
  lifted_by VARCHAR(128) NOT NULL DEFAULT '',
  lift_reason VARCHAR(255) NOT NULL DEFAULT '',
  lift_time TIMESTAMP(6) NULL,
  UNIQUE KEY blacklist_by_enrollment (enrollment_id),
  KEY blacklist_by_teacher (teacher_id, end_date),
  KEY blacklist_by_county (county_code, entry_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
