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
  ValidateIf,
} from 'class-validator';
import { IsProviderUrl, SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a generic OAuth 2.0 connection. @internal */
export class OAuth2ConfigDto {
  /** Required for the authorization_code grant. */
  @ValidateIf((o: OAuth2ConfigDto) => o.grant === 'authorization_code' || o.authorizationUrl !== undefined)
  @IsProviderUrl()
  authorizationUrl?: string;

  @IsProviderUrl()
  tokenUrl!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  clientId!: string;

  @IsIn(['authorization_code', 'client_credentials'])
  grant!: 'authorization_code' | 'client_credentials';

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  @IsOptional()
  @IsIn(['basic', 'post'])
  clientAuth?: 'basic' | 'post';

  /**
   * Where API calls with this connection's token may go (`SigningAuthHttpService`): base URLs whose
   * origins (scheme, host, port) are allowed. Required to sign calls; the token endpoint is not an API.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsProviderUrl({ each: true })
  apiBaseUrls?: string[];

  /** PKCE S256 on the authorization-code grant. Default true. */
  @IsOptional()
  @IsBoolean()
  pkce?: boolean;
}

/** `secrets` of a generic OAuth 2.0 connection. @internal */
export class OAuth2SecretsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  clientSecret!: string;
}
