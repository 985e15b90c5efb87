-- R-31: the credit-hour ledger. Every credit hour a teacher earns is one entry, unique by its
-- source (kind and key: a retry or a second approval changes nothing). Cycle progress and the
-- at-risk list (R-14) read it. Completions made before the ledger are registered into it by
-- the service at start (EnrollmentService's "hour ledger fill"), which records in ledger_fills
-- that it is done.
CREATE TABLE hour_entries (
  entry_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  teacher_id VARCHAR(32) NOT NULL,
  hours INT NOT NULL,
  off_site_days INT NOT NULL DEFAULT 0,
  level TINYINT NOT NULL,
  source_kind TINYINT NOT NULL,
  source_key VARCHAR(128) NOT NULL,
  year INT NOT NULL,
  school_year INT NOT NULL,
  approved_by VARCHAR(255) NOT NULL,
  approve_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY hour_entries_by_source (source_kind, source_key),
  KEY hour_entries_by_teacher (teacher_id, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ledger_fills (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  done_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
