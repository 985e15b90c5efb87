-- R-1, R-32: a county's registered schools. A teacher references the school of its county
-- whose name its record writes (teachers.school), read with the teacher; the index below
-- finds and counts a school's teachers.
CREATE TABLE schools (
  county_code VARCHAR(12) NOT NULL,
  school_id VARCHAR(63) NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (county_code, school_id),
  UNIQUE KEY schools_by_name (county_code, display_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE teachers ADD INDEX teachers_by_school (county_code, school);
