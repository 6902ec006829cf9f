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
} from 'class-validator';
import { Field, RequiredWhen } from '../shared/connection-schema.js';
import { GUID_PATTERN, IsPemRsaPrivateKey, SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a DocuSign connection (DESIGN.md's table). @internal */
export class DocuSignConfigDto {
  @Field({
    label: 'Environment',
    help: 'demo = developer sandbox (account-d.docusign.com); production = account.docusign.com',
    default: 'demo',
  })
  @IsIn(['demo', 'production'])
  environment!: 'demo' | 'production';

  @Field({
    label: 'Integration key',
    help: 'The GUID of your app under Apps and Keys in DocuSign eSignature admin',
  })
  @Matches(GUID_PATTERN, { message: 'must be a GUID (the integration key)' })
  integrationKey!: string;

  @Field({
    label: 'Grant',
    help: 'authorization_code: a user signs in and consents (Connect button); jwt: your app impersonates a user with an RSA key',
    default: 'authorization_code',
  })
  @IsIn(['authorization_code', 'jwt'])
  grant!: 'authorization_code' | 'jwt';

  @Field({
    label: 'Scopes',
    help: 'Leave empty for the defaults: "signature extended" (code grant), "signature impersonation" (jwt)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  /** Use this account instead of the user's default one. */
  @Field({ label: 'Account id', help: "Optional: use this account instead of the user's default account" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  accountId?: string;

  /** The user to impersonate with the JWT grant (a GUID, not an email). */
  @Field({ label: 'User id', help: 'jwt grant: the GUID (not the email) of the user to impersonate' })
  @RequiredWhen('grant', ['jwt'])
  @Matches(GUID_PATTERN, { message: 'must be the GUID of the user to impersonate' })
  userId?: string;

  /** JWT consent: the impersonated user's email, pre-filled on DocuSign's login page (`login_hint`). */
  @Field({
    label: 'Login hint',
    help: "The impersonated user's email, pre-filled on DocuSign's sign-in page at consent",
    shownWhen: { grant: ['jwt'] },
  })
  @IsOptional()
  @IsEmail({}, { message: "must be the impersonated user's email address" })
  @MaxLength(320)
  loginHint?: string;

  /** JWT consent: `individual` (default; the user approves) or `admin` (an organization admin approves for its users). */
  @Field({
    label: 'Consent',
    help: 'individual: the impersonated user approves (default); admin: an organization admin approves for its users',
    shownWhen: { grant: ['jwt'] },
  })
  @IsOptional()
  @IsIn(['individual', 'admin'])
  consent?: 'individual' | 'admin';

  /** Code grant without `extended`: the admin accepts that a user must consent again ~30 days after consent. */
  @Field({
    label: 'Accept a fixed refresh-token lifetime',
    help: 'Only when your scopes leave out "extended": a user must then consent again about 30 days after consenting',
    shownWhen: { grant: ['authorization_code'] },
  })
  @IsOptional()
  @IsBoolean()
  acceptFixedRefreshTokenLifetime?: boolean;
}

/** `secrets` of a DocuSign connection. @internal */
export class DocuSignSecretsDto {
  /** The integration key's secret (authorization-code grant). */
  @Field({
    label: 'Secret key',
    help: "The integration key's secret (authorization_code grant)",
    secret: true,
    requiredWhen: { 'config.grant': ['authorization_code'] },
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  secretKey?: string;

  /** The integration key's RSA private key, PEM (JWT grant). */
  @Field({
    label: 'RSA private key (PEM)',
    help: 'jwt grant: the private key of the RSA key pair you added to the integration key',
    secret: true,
    multiline: true,
    requiredWhen: { 'config.grant': ['jwt'] },
  })
  @IsOptional()
  @IsString()
  @IsPemRsaPrivateKey()
  privateKey?: string;
}
