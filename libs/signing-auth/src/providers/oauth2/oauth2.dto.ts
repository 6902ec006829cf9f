import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { Field, RequiredWhen } from '../shared/connection-schema.js';
import { IsProviderUrl, SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a generic OAuth 2.0 connection. @internal */
export class OAuth2ConfigDto {
  /** Required for the authorization_code grant. */
  @Field({
    label: 'Authorization URL',
    help: "The provider's authorization endpoint (authorization_code grant)",
  })
  @RequiredWhen('grant', ['authorization_code'])
  @IsProviderUrl()
  authorizationUrl?: string;

  /**
   * RFC 9207 issuer identifier of the authorization server. When set, the callback must carry `iss` equal to
   * it (mix-up defence for tenants sharing the one oauth2 callback path); leave it out for servers that do
   * not send `iss`.
   */
  @Field({
    label: 'Issuer',
    help: "The authorization server's issuer (RFC 9207); when set, its authorization responses must name it in iss",
  })
  @IsOptional()
  @MaxLength(2048)
  @IsProviderUrl()
  issuer?: string;

  @Field({ label: 'Token URL', help: "The provider's token endpoint (https)" })
  @IsProviderUrl()
  tokenUrl!: string;

  @Field({ label: 'Client id', help: 'The client id the provider issued to your app' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  clientId!: string;

  @Field({
    label: 'Grant',
    help: 'authorization_code: a user signs in and consents (Connect button); client_credentials: no user',
    default: 'authorization_code',
  })
  @IsIn(['authorization_code', 'client_credentials'])
  grant!: 'authorization_code' | 'client_credentials';

  @Field({ label: 'Scopes', help: 'Space-separated scope names to request' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  @Field({ label: 'Client authentication', help: 'basic = Authorization header (default); post = form body' })
  @IsOptional()
  @IsIn(['basic', 'post'])
  clientAuth?: 'basic' | 'post';

  /**
   * Where API calls with this connection's token may go (`SigningAuthHttpService`): base URLs whose
   * origins (scheme, host, port) are allowed. Required to sign calls; the token endpoint is not an API.
   */
  @Field({
    label: 'API base URLs',
    help:
      "Where calls signed with this connection's token may go, e.g. https://api.example.com (space-separated). " +
      'Needed to call the API through SigningAuthHttpService; the token URL is not one of them.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsProviderUrl({ each: true })
  apiBaseUrls?: string[];

  /** PKCE S256 on the authorization-code grant. Default true. */
  @Field({
    label: 'PKCE',
    help: 'Proof Key for Code Exchange (S256) on the sign-in: keep it on unless the provider rejects it',
    default: true,
    shownWhen: { grant: ['authorization_code'] },
  })
  @IsOptional()
  @IsBoolean()
  pkce?: boolean;
}

/** `secrets` of a generic OAuth 2.0 connection. @internal */
export class OAuth2SecretsDto {
  @Field({ label: 'Client secret', help: 'The secret issued with the client id', secret: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  clientSecret!: string;
}
