import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { Field, RequiredWhen } from '../shared/connection-schema.js';
import { SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a Signicat connection. @internal */
export class SignicatConfigDto {
  @Field({ label: 'Client id', help: 'From the Signicat dashboard: API clients' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  clientId!: string;

  @Field({
    label: 'Generation',
    help: 'express = api.signicat.io; platform = api.signicat.com (new); idfy = api.idfy.io (deprecated)',
    default: 'express',
  })
  @IsIn(['express', 'platform', 'idfy'])
  generation!: 'express' | 'platform' | 'idfy';

  /** Express/Idfy: the dashboard scopes to request. Platform: always `signicat-api` (any other is refused). */
  @Field({
    label: 'Scopes',
    help: 'express/idfy: the scopes enabled for the client, e.g. document_read document_write; platform: always signicat-api (leave empty)',
  })
  @RequiredWhen('generation', ['express', 'idfy'])
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  @Field({ label: 'Client authentication', help: 'basic = Authorization header (default); post = form body' })
  @IsOptional()
  @IsIn(['basic', 'post'])
  clientAuth?: 'basic' | 'post';
}

/** `secrets` of a Signicat connection. @internal */
export class SignicatSecretsDto {
  @Field({ label: 'Client secret', help: 'The secret issued with the client id', secret: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientSecret!: string;
}
