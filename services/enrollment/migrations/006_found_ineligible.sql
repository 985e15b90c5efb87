-- R-9, R-20: trainees the host found not to meet the selection conditions at 报到, once per
-- enrollment, counted per county for the deductions of 学员不符合遴选条件.
CREATE TABLE trainees_found_ineligible (
  enrollment_id VARCHAR(32) NOT NULL PRIMARY KEY,
  year INT NOT NULL,
  project_id VARCHAR(63) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  broken_condition VARCHAR(255) NOT NULL,
  reported_by VARCHAR(255) NOT NULL,
  report_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY found_ineligible_by_county (year, project_id, county_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
