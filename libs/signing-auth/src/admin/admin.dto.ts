import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsObject, IsOptional, IsString } from 'class-validator';

/** The PUT body. Each provider's strategy checks the fields inside `config` and `secrets`. @internal */
export class UpsertConnectionBody {
  /** Optional: the path names the provider. Accepted so OpenAPI can tell the per-provider bodies apart. */
  @ApiPropertyOptional({ description: 'The provider of the path; optional, and when sent it must match' })
  @IsOptional()
  @IsString({ message: 'must be the provider id of the path' })
  provider?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Non-secret settings of the provider (client id, environment, grant, scopes, ...)',
    example: { environment: 'demo', integrationKey: '00000000-0000-0000-0000-000000000000' },
  })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be a JSON object' })
  config!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Secret settings (client secret, private key, token secret); stored encrypted, never returned',
    example: { secretKey: '…' },
  })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be a JSON object' })
  secrets!: Record<string, unknown>;
}

/** Body of the DocSpring data-request token route. @internal */
export class DataRequestTokenBody {
  @ApiPropertyOptional({ enum: ['api', 'email'], default: 'api' })
  @IsOptional()
  @IsIn(['api', 'email'], { message: 'must be "api" or "email"' })
  type?: 'api' | 'email';
}

/** A connection as the admin API shows it: never a secret. @internal */
export class ConnectionViewDto {
  @ApiProperty() tenantId!: string;
  @ApiProperty({ example: 'docusign' }) provider!: string;
  @ApiProperty({ enum: ['pending', 'active', 'needs_reauth', 'error', 'disabled'] }) status!: string;
  @ApiProperty({ example: 'authorization_code' }) grantType!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) config!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) accessTokenExpiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) refreshTokenExpiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastRefreshedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRefreshAt!: string | null;
  @ApiProperty() failureCount!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Provider facts (DocuSign: accountId, accountName, userId, baseUri). rateLimit: the provider budget the ' +
      'answering replica last saw on a signed call ({ limit, remaining, resetAt, blockedUntil, observedAt, scope }).',
  })
  metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

/** Answer of `POST .../test`: whether the provider accepted the stored credentials. @internal */
export class ConnectionTestDto {
  @ApiProperty({ description: 'Whether the provider accepted the stored credentials' }) ok!: boolean;
  @ApiProperty({
    description: 'What was sent and what the provider said (or why nothing was sent); never a secret',
    example: 'DocSpring accepted API token tok_1 (GET https://sync.api.docspring.com/api/v1/authentication)',
  })
  message!: string;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
  @ApiProperty({ type: ConnectionViewDto, description: 'The connection after the check' })
  connection!: ConnectionViewDto;
}

/** Answer of `POST .../authorize`. @internal */
export class AuthorizationStartDto {
  @ApiProperty({ description: "Send the admin's browser here" }) authorizationUrl!: string;
  @ApiProperty({ format: 'date-time', description: 'The pending authorization is void after this' })
  expiresAt!: string;
}

/** One problem of a 400: the field and the fix, never the value. @internal */
export class FieldProblemDto {
  @ApiProperty({ example: 'config.integrationKey' }) field!: string;
  @ApiProperty({ example: 'must be a GUID (the integration key)' }) message!: string;
}

/** Every error of the admin API. @internal */
export class AdminErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({
    example: 'config.integrationKey: must be a GUID (the integration key)',
    description: 'Readable summary; for a 400, every problem of `errors` joined with "; "',
  })
  message!: string;
  @ApiPropertyOptional({
    type: [FieldProblemDto],
    description: 'Only on 400: every problem found, each naming the field (e.g. config.grant) and the fix',
  })
  errors?: FieldProblemDto[];
}

/** A DocSpring data-request token. @internal */
export class DataRequestTokenDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: "Give it to DocSpring's embedded form; it is not one of the stored secrets" })
  secret!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty() dataRequestUrl!: string;
}
