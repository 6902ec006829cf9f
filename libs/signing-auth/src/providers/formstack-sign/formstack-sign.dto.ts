import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** `config` of a Formstack Sign connection. @internal */
export class FormstackSignConfigDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  clientId!: string;

  @IsIn(['authorization_code', 'client_credentials'])
  grant!: 'authorization_code' | 'client_credentials';

  /** Credentials issued before 15 January 2021 live on the legacy auth host. */
  @IsOptional()
  @IsBoolean()
  legacyHost?: boolean;
}

/** `secrets` of a Formstack Sign connection. @internal */
export class FormstackSignSecretsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientSecret!: string;
}
