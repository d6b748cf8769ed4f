-- End-to-end encryption needs the password to stay on the device: the device derives a master
-- key from it (PBKDF2-SHA256 with this salt and iteration count) and from that the
-- authentication secret it signs in with. `password_hash` then holds the Argon2id hash of that
-- secret. NULL salt: an account from before, whose `password_hash` is of the password itself;
-- it moves over at its next sign-in.
ALTER TABLE accounts ADD COLUMN kdf_salt TEXT;
ALTER TABLE accounts ADD COLUMN kdf_iterations BIGINT;
