/**
 * A usable access token as {@link TokenService} hands it out. Lives only in memory: never log it.
 * @publicApi
 */
export interface AccessToken {
  accessToken: string;
  /** `Bearer` for OAuth providers, `Basic` for static credentials. */
  tokenType: string;
  /** When the token stops working; `null` when it never expires. */
  expiresAt: Date | null;
  /** Non-secret provider facts (DocuSign: `accountId`, `accountName`, `userId`, `baseUri`). */
  metadata: Record<string, unknown>;
}
