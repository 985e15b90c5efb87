-- R-12, R-14: versions of the figures enrollment's rules use. A version is in force for its
-- year and later years until a newer one; with none, the built-in defaults apply.
CREATE TABLE enrollment_policies (
  year INT NOT NULL,
  version INT NOT NULL,
  blacklist_years INT NOT NULL,
  cycle_anchor_year INT NOT NULL,
  cycle_years INT NOT NULL,
  required_credit_hours INT NOT NULL,
  required_off_site_days INT NOT NULL,
  reason VARCHAR(255) NOT NULL,
  creator VARCHAR(128) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
