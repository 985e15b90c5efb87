-- R-27: a 项目县 category's seats go only to active project counties (funding holds the status).
ALTER TABLE categories ADD COLUMN project_county BOOLEAN NOT NULL DEFAULT FALSE;
