import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { GUID_PATTERN, IsPemRsaPrivateKey, SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a DocuSign connection (DESIGN.md's table). @internal */
export class DocuSignConfigDto {
  @IsIn(['demo', 'production'])
  environment!: 'demo' | 'production';

  @Matches(GUID_PATTERN, { message: 'must be a GUID (the integration key)' })
  integrationKey!: string;

  @IsIn(['authorization_code', 'jwt'])
  grant!: 'authorization_code' | 'jwt';

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  /** Use this account instead of the user's default one. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  accountId?: string;

  /** The user to impersonate with the JWT grant (a GUID, not an email). */
  @ValidateIf((o: DocuSignConfigDto) => o.grant === 'jwt' || o.userId !== undefined)
  @Matches(GUID_PATTERN, {
    message: 'must be the GUID of the user to impersonate (required for the jwt grant)',
  })
  userId?: string;

  /** JWT consent: the impersonated user's email, pre-filled on DocuSign's login page (`login_hint`). */
  @IsOptional()
  @IsEmail({}, { message: "must be the impersonated user's email address" })
  @MaxLength(320)
  loginHint?: string;

  /** JWT consent: `individual` (default; the user approves) or `admin` (an organization admin approves for its users). */
  @IsOptional()
  @IsIn(['individual', 'admin'])
  consent?: 'individual' | 'admin';

  /** Code grant without `extended`: the admin accepts that a user must consent again ~30 days after consent. */
  @IsOptional()
  @IsBoolean()
  acceptFixedRefreshTokenLifetime?: boolean;
}

/** `secrets` of a DocuSign connection. @internal */
export class DocuSignSecretsDto {
  /** The integration key's secret (authorization-code grant). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  secretKey?: string;

  /** The integration key's RSA private key, PEM (JWT grant). */
  @IsOptional()
  @IsString()
  @IsPemRsaPrivateKey()
  privateKey?: string;
}
