/** A table whose columns hold `SecretCipher` values. @internal */
export interface EncryptedTable {
  table: string;
  /** column name → field name in the associated data */
  columns: Record<string, string>;
}

/** Every column that holds a ciphertext; rotation and the key census walk exactly these. @internal */
export const ENCRYPTED_TABLES: EncryptedTable[] = [
  {
    table: 'signing_auth_connections',
    columns: {
      secrets_ciphertext: 'secrets',
      access_token_ciphertext: 'access_token',
      refresh_token_ciphertext: 'refresh_token',
    },
  },
  { table: 'signing_auth_pending_authorizations', columns: { code_verifier_ciphertext: 'code_verifier' } },
];
