-- R-18: rubrics are versioned trees; a version never changes once made (the tree is stored
-- whole, as the contract's RubricVersion), and `rubrics` numbers the versions of each rubric.
CREATE TABLE rubrics (
  rubric_id VARCHAR(63) NOT NULL PRIMARY KEY,
  last_version INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE rubric_versions (
  rubric_id VARCHAR(63) NOT NULL,
  version INT NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  tree LONGBLOB NOT NULL,
  total_score_tenths INT NOT NULL,
  change_note VARCHAR(255) NOT NULL DEFAULT '',
  in_use BOOLEAN NOT NULL DEFAULT FALSE,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (rubric_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- R-21: versions of the grade thresholds; with none, the built-in defaults (90.0, 75.0).
CREATE TABLE grade_policies (
  version INT NOT NULL PRIMARY KEY,
  excellent_from_tenths INT NOT NULL,
  qualified_from_tenths INT NOT NULL,
  reason VARCHAR(255) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
