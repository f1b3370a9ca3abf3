-- Key versions as Vault's transit keys keep them: versions 1..current_version exist, new
-- ciphertexts use current_version, and ciphertexts of versions below min_decryption_version no
-- longer decrypt (those versions are retired). 1 retires nothing, so existing keys are unchanged;
-- nothing on the Tencent API raises it yet.
ALTER TABLE keys
    ADD COLUMN min_decryption_version integer NOT NULL DEFAULT 1 CHECK (min_decryption_version >= 1);
