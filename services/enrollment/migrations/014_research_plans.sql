-- R-32: schools' plans of school-based research (校本研修方案), one a school and school year,
-- submitted by the school and reviewed by its county's teacher training school.
CREATE TABLE research_plans (
  county_code VARCHAR(12) NOT NULL,
  school_id VARCHAR(63) NOT NULL,
  school_year INT NOT NULL,
  title VARCHAR(200) NOT NULL,
  content MEDIUMTEXT NOT NULL,
  state TINYINT NOT NULL,
  submitter VARCHAR(255) NOT NULL,
  submit_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  reviewer VARCHAR(255) NOT NULL DEFAULT '',
  review_reason VARCHAR(500) NOT NULL DEFAULT '',
  review_time TIMESTAMP(6) NULL,
  version INT NOT NULL DEFAULT 1,
  PRIMARY KEY (county_code, school_id, school_year),
  KEY research_plans_by_state (county_code, state, school_year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
