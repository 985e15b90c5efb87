-- R-33: claims of hours earned elsewhere (学时申报). A claim is filed by the teacher or the
-- county, reviewed by the county it was filed in, and only an approved claim's hours enter the
-- ledger (hour_entries, source kind 2, keyed by the claim id).
CREATE TABLE hour_claims (
  claim_id VARCHAR(32) NOT NULL PRIMARY KEY,
  teacher_id VARCHAR(32) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  title VARCHAR(200) NOT NULL,
  provider VARCHAR(200) NOT NULL,
  level TINYINT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  credit_hours INT NOT NULL,
  off_site_days INT NOT NULL,
  evidence VARCHAR(1000) NOT NULL,
  state TINYINT NOT NULL,
  approved_credit_hours INT NOT NULL DEFAULT 0,
  approved_off_site_days INT NOT NULL DEFAULT 0,
  review_reason VARCHAR(500) NOT NULL DEFAULT '',
  reviewer VARCHAR(255) NOT NULL DEFAULT '',
  review_time TIMESTAMP(6) NULL,
  hour_entry_id BIGINT NULL,
  creator VARCHAR(255) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  version INT NOT NULL DEFAULT 1,
  KEY hour_claims_by_teacher (teacher_id, claim_id),
  KEY hour_claims_by_county (county_code, state, claim_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
