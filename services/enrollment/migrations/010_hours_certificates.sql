-- R-34: the register of certificates of hours (学时证明). A certificate is drawn from the ledger
-- whenever it is asked for; this register keeps what each code certified (the ledger's digest
-- and its totals), so that anyone holding the code can verify it, and the same ledger always
-- gets the same code.
CREATE TABLE hours_certificates (
  code CHAR(19) NOT NULL PRIMARY KEY,
  teacher_id VARCHAR(32) NOT NULL,
  cycle_start_year INT NOT NULL,
  cycle_end_year INT NOT NULL,
  ledger_digest CHAR(64) NOT NULL,
  holder VARCHAR(64) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  credit_hours INT NOT NULL,
  off_site_days INT NOT NULL,
  entry_count INT NOT NULL,
  issue_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY hours_certificates_by_ledger (teacher_id, cycle_start_year, ledger_digest)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
