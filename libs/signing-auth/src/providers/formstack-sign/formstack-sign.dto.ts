import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Field } from '../shared/connection-schema.js';

/** `config` of a Formstack Sign connection. @internal */
export class FormstackSignConfigDto {
  @Field({ label: 'Client id', help: 'The API client id Formstack Sign (InsureSign) issued to you' })
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

  /** Credentials issued before 15 January 2021 live on the legacy auth host. */
  @Field({ label: 'Legacy auth host', help: 'Only for credentials issued before 15 January 2021' })
  @IsOptional()
  @IsBoolean()
  legacyHost?: boolean;
}

/** `secrets` of a Formstack Sign connection. @internal */
export class FormstackSignSecretsDto {
  @Field({ label: 'Client secret', help: 'The secret issued with the client id', secret: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientSecret!: string;
}
