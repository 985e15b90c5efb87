-- A year's evaluation of project counties (R-17): its rubric version (then in use, so never
-- changed), its grade policy version, how panel scores combine, and the counties evaluated.
CREATE TABLE rounds (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  rubric_id VARCHAR(63) NOT NULL,
  rubric_version INT NOT NULL,
  grade_policy_version INT NOT NULL,
  aggregation TINYINT NOT NULL,
  disagreement_threshold_tenths INT NOT NULL,
  state TINYINT NOT NULL,
  publish_time TIMESTAMP(6) NULL,
  version INT NOT NULL DEFAULT 1,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, round_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE round_counties (
  year INT NOT NULL,
  round_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  PRIMARY KEY (year, round_id, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
