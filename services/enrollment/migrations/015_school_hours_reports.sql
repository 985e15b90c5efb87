-- R-32: schools' reports of their teachers' hours of school-based research, one a school and
-- school year, verified (核准) into the ledger by the county's teacher training school. The rows
-- (at most 1,000, each with its result) are read and written with the report, never alone, so
-- they are kept as one protobuf-encoded value.
CREATE TABLE school_hours_reports (
  county_code VARCHAR(12) NOT NULL,
  school_id VARCHAR(63) NOT NULL,
  school_year INT NOT NULL,
  state TINYINT NOT NULL,
  rows_pb MEDIUMBLOB NOT NULL,
  row_count INT NOT NULL,
  accepted_rows INT NOT NULL,
  registered_hours INT NOT NULL DEFAULT 0,
  submitter VARCHAR(255) NOT NULL,
  submit_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  reviewer VARCHAR(255) NOT NULL DEFAULT '',
  review_reason VARCHAR(500) NOT NULL DEFAULT '',
  review_time TIMESTAMP(6) NULL,
  version INT NOT NULL DEFAULT 1,
  PRIMARY KEY (county_code, school_id, school_year),
  KEY school_hours_reports_by_state (county_code, state, school_year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
