-- R-14, R-32: what reported hours count becomes part of a policy version, like the cycle's
-- figures: school-based research a school year, workshop hours a day and a year, 1+10+100
-- mentoring, and the days in which a school year's plan is first submitted. Versions made
-- before keep the figures that applied to them (the defaults).
ALTER TABLE enrollment_policies
  ADD COLUMN research_hours_per_school_year INT NOT NULL DEFAULT 24,
  ADD COLUMN workshop_hours_per_day INT NOT NULL DEFAULT 6,
  ADD COLUMN workshop_hours_per_year INT NOT NULL DEFAULT 40,
  ADD COLUMN mentoring_hours INT NOT NULL DEFAULT 50,
  ADD COLUMN plan_submission_days INT NOT NULL DEFAULT 7;
