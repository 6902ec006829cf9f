import { IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** `config` of a DocSpring connection. @internal */
export class DocSpringConfigDto {
  @IsIn(['us', 'eu'])
  region!: 'us' | 'eu';

  /** The API token id (Basic username). A colon would split the Basic credentials differently. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @Matches(/^[^:\s]+$/, { message: 'must not contain ":" or whitespace' })
  tokenId!: string;
}

/** `secrets` of a DocSpring connection. @internal */
export class DocSpringSecretsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  tokenSecret!: string;
}
