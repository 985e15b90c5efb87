-- R-25: versions of the tier policy; with none, the built-in defaults.
CREATE TABLE tier_policies (
  version INT NOT NULL PRIMARY KEY,
  excellent_amount_fen BIGINT NOT NULL,
  qualified_amount_fen BIGINT NOT NULL,
  revocation_years INT NOT NULL,
  subsidy_per_participant_fen BIGINT NOT NULL,
  reason VARCHAR(255) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- R-27: project-county status as periods: ACTIVE from a designation (open-ended while to_year
-- is 0), REVOKED for a cycle by a decision.
CREATE TABLE county_periods (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  county_code VARCHAR(12) NOT NULL,
  kind TINYINT NOT NULL,
  from_year INT NOT NULL,
  to_year INT NOT NULL DEFAULT 0,
  decision VARCHAR(128) NOT NULL DEFAULT '',
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY by_county (county_code, from_year),
  KEY by_decision (decision)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- R-26: one current decision per county and evaluated year; a superseded one stays, pointing
-- forward by `superseded`, and its successor points back by `supersedes`.
CREATE TABLE decisions (
  year INT NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  seq INT NOT NULL,
  tier TINYINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  result VARCHAR(128) NOT NULL,
  result_revision INT NOT NULL,
  grade VARCHAR(16) NOT NULL,
  tier_policy VARCHAR(64) NOT NULL,
  supersedes VARCHAR(128) NOT NULL DEFAULT '',
  superseded BOOLEAN NOT NULL DEFAULT FALSE,
  decided_by VARCHAR(128) NOT NULL,
  decide_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, county_code, seq),
  KEY current_by_tier (year, superseded, tier)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
