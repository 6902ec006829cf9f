import { ProviderFailure } from '../provider.errors.js';
import type { JsonObject } from '../shared/provider-http.client.js';

/** What the library records about a DocuSign connection after connecting. @publicApi */
export interface DocuSignMetadata {
  accountId: string;
  accountName: string;
  userId: string;
  /** Exactly userinfo's `base_uri`, e.g. `https://demo.docusign.net`; REST calls go to `{baseUri}/restapi`. */
  baseUri: string;
}

/**
 * Picks the account from a userinfo answer: the one named in the connection's config, or the default
 * one. `is_default` is read leniently: DocuSign's SDK models it as a string, its samples compare to 'true'.
 * @internal
 */
export function pickDocuSignAccount(
  userinfo: JsonObject,
  wantedAccountId: string | undefined,
  where: string,
): DocuSignMetadata {
  const accounts = Array.isArray(userinfo.accounts) ? (userinfo.accounts as Record<string, unknown>[]) : [];
  const isDefault = (a: Record<string, unknown>): boolean => a.is_default === true || a.is_default === 'true';
  const account = wantedAccountId
    ? accounts.find((a) => a.account_id === wantedAccountId)
    : (accounts.find(isDefault) ?? (accounts.length === 1 ? accounts[0] : undefined));
  if (!account) {
    const reason = wantedAccountId
      ? `the user has no account ${wantedAccountId} (config.accountId)`
      : 'the user has no default account; set config.accountId';
    throw new ProviderFailure('needs_reauth', `${where}: ${reason}`, { code: 'account_not_found' });
  }
  if (typeof account.base_uri !== 'string' || typeof account.account_id !== 'string') {
    throw new ProviderFailure('transient', `${where}: userinfo returned an account without base_uri`, {
      code: 'invalid_response',
    });
  }
  return {
    accountId: account.account_id,
    accountName: typeof account.account_name === 'string' ? account.account_name : '',
    userId: typeof userinfo.sub === 'string' ? userinfo.sub : '',
    baseUri: account.base_uri,
  };
}
