import { SigningAuthAccountUnknownError, SigningAuthRequestError } from './http.errors.js';

/**
 * `{baseUri}/restapi/v2.1/accounts/{accountId}` of a DocuSign connection: the account's own host, as
 * userinfo's `base_uri` gives it (production accounts live on `naX.docusign.net`; providers.md §1.6).
 * @internal
 */
export function docuSignAccountBase(
  tenantId: string,
  provider: string,
  metadata: Record<string, unknown>,
): string {
  if (provider !== 'docusign') {
    throw new SigningAuthRequestError(
      tenantId,
      provider,
      'docusignAccountBase applies to docusign requests only',
    );
  }
  const { baseUri, accountId } = metadata;
  const missing =
    typeof baseUri !== 'string' || baseUri === '' || typeof accountId !== 'string' || accountId === '';
  if (missing && metadata.accountPending === true)
    throw new SigningAuthAccountUnknownError(tenantId, provider);
  if (typeof baseUri !== 'string' || baseUri === '' || typeof accountId !== 'string' || accountId === '') {
    throw new SigningAuthRequestError(
      tenantId,
      provider,
      'docusignAccountBase needs the account recorded when the tenant connected (metadata baseUri and accountId); ' +
        'none is recorded: connect the account again, or send an absolute URL',
    );
  }
  return `${baseUri.replace(/\/+$/, '')}/restapi/v2.1/accounts/${encodeURIComponent(accountId)}`;
}
