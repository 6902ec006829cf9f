import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { SCOPE_PATTERN } from '../shared/connection-validation.js';

/** `config` of a Signicat connection. @internal */
export class SignicatConfigDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  clientId!: string;

  @IsIn(['express', 'platform', 'idfy'])
  generation!: 'express' | 'platform' | 'idfy';

  /** Express/Idfy: the dashboard scopes to request. Platform: defaults to `signicat-api`. */
  @ValidateIf((o: SignicatConfigDto) => o.generation !== 'platform' || o.scopes !== undefined)
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE_PATTERN, { each: true, message: 'must be a list of scope names without spaces' })
  scopes?: string[];

  @IsOptional()
  @IsIn(['basic', 'post'])
  clientAuth?: 'basic' | 'post';
}

/** `secrets` of a Signicat connection. @internal */
export class SignicatSecretsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientSecret!: string;
}
