-- R-22: a deduction keeps who fetched its figures, as scores keep who gave them.
ALTER TABLE deduction_figures ADD COLUMN computed_by VARCHAR(128) NOT NULL DEFAULT '';
