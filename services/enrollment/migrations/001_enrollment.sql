-- Enrollment schema: teachers, the local copy of catalog facts, enrollments with history.
CREATE TABLE teachers (
  teacher_id VARCHAR(32) NOT NULL PRIMARY KEY,
  id_number CHAR(18) NOT NULL,
  display_name VARCHAR(64) NOT NULL,
  gender TINYINT NOT NULL,
  birth_date DATE NOT NULL,
  school VARCHAR(128) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  stage TINYINT NOT NULL,
  subjects VARCHAR(512) NOT NULL,
  rural BOOLEAN NOT NULL,
  teaching_since_year INT NOT NULL,
  roles VARCHAR(64) NOT NULL,
  version INT NOT NULL DEFAULT 1,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY teachers_by_id_number (id_number),
  KEY teachers_by_county (county_code, teacher_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Catalog facts this service enforces rules with, copied from catalog (never edited here).
CREATE TABLE catalog_regions (
  code VARCHAR(12) NOT NULL PRIMARY KEY,
  display_name VARCHAR(64) NOT NULL,
  level TINYINT NOT NULL,
  parent_code VARCHAR(12) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE catalog_years (
  year INT NOT NULL PRIMARY KEY,
  nomination_deadline DATE NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE catalog_projects (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  project BLOB NOT NULL,
  PRIMARY KEY (year, project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE catalog_quotas (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  seats INT NOT NULL,
  PRIMARY KEY (year, project_id, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE catalog_sync (
  id TINYINT NOT NULL PRIMARY KEY,
  after_sequence BIGINT NOT NULL,
  synced_at TIMESTAMP(6) NULL
) ENGINE=InnoDB;
INSERT INTO catalog_sync (id, after_sequence) VALUES (1, 0);

CREATE TABLE enrollments (
  enrollment_id VARCHAR(32) NOT NULL PRIMARY KEY,
  teacher_id VARCHAR(32) NOT NULL,
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  state TINYINT NOT NULL,
  no_show_reason VARCHAR(255) NOT NULL DEFAULT '',
  no_show_review TINYINT NOT NULL DEFAULT 0,
  credit_hours INT NOT NULL DEFAULT 0,
  version INT NOT NULL DEFAULT 1,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY enrollments_by_teacher (teacher_id),
  KEY enrollments_by_seat (year, project_id, county_code, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE enrollment_history (
  enrollment_id VARCHAR(32) NOT NULL,
  step INT NOT NULL,
  from_state TINYINT NOT NULL,
  to_state TINYINT NOT NULL,
  actor VARCHAR(128) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (enrollment_id, step)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
