-- Catalog schema: regions, plan years, categories, hosts, projects, the quota tree, cost policy.
CREATE TABLE regions (
  code VARCHAR(12) NOT NULL PRIMARY KEY,
  display_name VARCHAR(64) NOT NULL,
  level TINYINT NOT NULL,
  parent_code VARCHAR(12) NULL,
  KEY regions_by_parent (parent_code, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE plan_years (
  year INT NOT NULL PRIMARY KEY,
  nomination_deadline DATE NOT NULL,
  projects_end_by DATE NOT NULL,
  check_in_notice_days INT NOT NULL,
  timetable_days INT NOT NULL,
  version INT NOT NULL DEFAULT 1,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE categories (
  year INT NOT NULL,
  category_id VARCHAR(63) NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  plan_level TINYINT NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, category_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE hosts (
  host_id VARCHAR(63) NOT NULL PRIMARY KEY,
  display_name VARCHAR(128) NOT NULL,
  region_code VARCHAR(12) NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY hosts_by_region (region_code, host_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE projects (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  category_id VARCHAR(63) NOT NULL,
  plan_level TINYINT NOT NULL,
  host_id VARCHAR(63) NOT NULL,
  audience BLOB NOT NULL,
  centralized_days INT NOT NULL,
  shadowing_days INT NOT NULL,
  online_hours INT NOT NULL,
  practice_months INT NOT NULL,
  credit_hours INT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  class_size INT NOT NULL,
  seats INT NOT NULL,
  allocated_seats INT NOT NULL DEFAULT 0,
  version INT NOT NULL DEFAULT 1,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, project_id),
  KEY projects_by_host (host_id),
  KEY projects_by_category (year, category_id),
  CONSTRAINT projects_seats_cover_allocation CHECK (allocated_seats <= seats)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE quotas (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  level TINYINT NOT NULL,
  parent_region_code VARCHAR(12) NULL,
  seats INT NOT NULL,
  allocated_seats INT NOT NULL DEFAULT 0,
  version INT NOT NULL DEFAULT 1,
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, project_id, region_code),
  KEY quotas_by_parent (year, project_id, parent_region_code),
  CONSTRAINT quotas_seats_cover_allocation CHECK (allocated_seats <= seats AND seats >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE cost_policies (
  year INT NOT NULL,
  version INT NOT NULL,
  fen_per_person_day BIGINT NOT NULL,
  fen_per_online_hour BIGINT NOT NULL,
  reason VARCHAR(255) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (year, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
