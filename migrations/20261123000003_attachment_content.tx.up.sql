-- A CAdES (.p7m) document keeps two objects: the signed original and the
-- content extracted from it, which operators usually want to read.
ALTER TABLE attachment ADD COLUMN content_object_key text;
ALTER TABLE attachment ADD COLUMN content_content_type text;
