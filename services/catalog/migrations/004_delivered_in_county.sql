-- R-14: a project says whether it is delivered in the teachers' own county (送教下乡); its
-- centralized days are then not off-site days of the cycle. Projects made before are not.
ALTER TABLE projects ADD COLUMN delivered_in_county BOOLEAN NOT NULL DEFAULT FALSE;
