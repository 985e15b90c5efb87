-- R-31, R-32: what a reported entry was (a school's research of a school year, a workshop
-- session), shown on certificates (R-34) beside completions' projects and claims' titles.
ALTER TABLE hour_entries ADD COLUMN description VARCHAR(200) NOT NULL DEFAULT '';
