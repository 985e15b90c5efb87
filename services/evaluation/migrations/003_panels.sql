-- Panels (R-17, R-22): experts assigned per round and county, their scores per leaf indicator
-- with every submission kept, the enrollment figures deductions come from (R-20), and each
-- county's results with their revisions (R-21, R-23).
CREATE TABLE assignments (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  assignment_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  expert VARCHAR(128) NOT NULL,
  expert_region VARCHAR(12) NOT NULL,
  reconciler BOOLEAN NOT NULL DEFAULT FALSE,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, round_id, assignment_id),
  UNIQUE KEY by_county_expert (year, round_id, county_code, expert),
  KEY by_expert (year, round_id, expert)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The current score of each expert on each leaf of each county.
CREATE TABLE scores (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  expert VARCHAR(128) NOT NULL,
  indicator VARCHAR(63) NOT NULL,
  score_tenths INT NOT NULL,
  comment VARCHAR(1000) NOT NULL DEFAULT '',
  evidence TINYINT NOT NULL,
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, round_id, county_code, expert, indicator)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Every score ever submitted or corrected, with who and when (R-22). Append-only.
CREATE TABLE score_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  expert VARCHAR(128) NOT NULL,
  indicator VARCHAR(63) NOT NULL,
  score_tenths INT NOT NULL,
  comment VARCHAR(1000) NOT NULL DEFAULT '',
  evidence TINYINT NOT NULL,
  submitted_by VARCHAR(128) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY by_county (year, round_id, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The enrollment figures of each county as fetched for deductions (R-20), with their source.
CREATE TABLE deduction_figures (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  under_reported INT NOT NULL,
  no_shows INT NOT NULL,
  not_completed INT NOT NULL,
  ineligible INT NOT NULL,
  source VARCHAR(255) NOT NULL,
  computed_time TIMESTAMP(6) NOT NULL,
  PRIMARY KEY (year, round_id, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Results: revision 1 is the draft until the round is published, then frozen; corrections add
-- revisions (R-23). `explanation` is the whole account ExplainResult serves, as of the revision.
CREATE TABLE results (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  revision INT NOT NULL,
  total_tenths INT NOT NULL,
  grade TINYINT NOT NULL,
  province_rank INT NOT NULL,
  flagged VARCHAR(1024) NOT NULL DEFAULT '',
  published BOOLEAN NOT NULL DEFAULT FALSE,
  revision_reason VARCHAR(255) NOT NULL DEFAULT '',
  revised_by VARCHAR(128) NOT NULL DEFAULT '',
  explanation LONGBLOB NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, round_id, county_code, revision),
  KEY by_total (year, round_id, total_tenths)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Results are current when computed at the round's present version; deductions, once fetched.
ALTER TABLE rounds
  ADD COLUMN results_version INT NULL,
  ADD COLUMN deductions_time TIMESTAMP(6) NULL;
