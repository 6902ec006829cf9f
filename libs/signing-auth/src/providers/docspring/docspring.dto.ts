import { IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { Field } from '../shared/connection-schema.js';

/** `config` of a DocSpring connection. @internal */
export class DocSpringConfigDto {
  @Field({ label: 'Region', help: 'us = api.docspring.com, eu = api-eu.docspring.com', default: 'us' })
  @IsIn(['us', 'eu'])
  region!: 'us' | 'eu';

  /** The API token id (Basic username). A colon would split the Basic credentials differently. */
  @Field({ label: 'API token id', help: 'From DocSpring: Account settings → API Tokens' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @Matches(/^[^:\s]+$/, { message: 'must not contain ":" or whitespace' })
  tokenId!: string;
}

/** `secrets` of a DocSpring connection. @internal */
export class DocSpringSecretsDto {
  @Field({ label: 'API token secret', help: 'Shown once when the API token is created', secret: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  tokenSecret!: string;
}
