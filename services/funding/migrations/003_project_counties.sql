-- R-27: one row per county ever designated or decided. A change to a county's periods first
-- locks its row here (created if missing), so two designations or decisions for one county run
-- one after the other and the second sees the first's periods (READ COMMITTED takes no gap locks,
-- so locking the periods themselves would not stop two first designations).
CREATE TABLE project_counties (
  county_code VARCHAR(12) NOT NULL PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO project_counties (county_code) SELECT DISTINCT county_code FROM county_periods;
