-- R-16: enrollments counted per year, project, county, state and rural flag, kept in the
-- transaction of every nomination and transition, so rate reports and seat counts read a few
-- thousand rows instead of scanning every enrollment of the year.
CREATE TABLE enrollment_outcomes (
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  state TINYINT NOT NULL,
  rural BOOLEAN NOT NULL,
  total BIGINT NOT NULL,
  PRIMARY KEY (year, project_id, county_code, state, rural)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO enrollment_outcomes (year, project_id, county_code, state, rural, total)
  SELECT year, project_id, county_code, state, rural, COUNT(*) FROM enrollments
  GROUP BY year, project_id, county_code, state, rural;
-- The counts above answer what this index served.
DROP INDEX enrollments_for_rates ON enrollments;
