-- R-14: cycle progress and the at-risk list sum a teacher's hours and off-site days of the
-- cycle's years. With both in the index the sums are read from it alone, without a visit to
-- each entry's row.
ALTER TABLE hour_entries DROP INDEX hour_entries_by_teacher,
  ADD INDEX hour_entries_by_teacher (teacher_id, year, hours, off_site_days);
