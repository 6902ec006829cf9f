import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

/**
 * Body of `POST …/connect-sessions`. Only the fields are declared here (unknown fields are refused);
 * `ConnectSessionsService.create` checks their values, so the service and the route say the same thing.
 * @internal
 */
export class CreateConnectSessionBody {
  @ApiPropertyOptional({
    type: [String],
    example: ['docusign'],
    description: 'The providers the session may touch. Default: every provider',
  })
  @IsOptional()
  providers?: string[];

  @ApiPropertyOptional({ minimum: 60, maximum: 86400, default: 1800, description: 'Lifetime in seconds' })
  @IsOptional()
  expiresInSeconds?: number;

  @ApiPropertyOptional({
    example: 'https://app.example.com/settings/integrations',
    description:
      'Where the Connect page sends the customer back; its origin must be in connect.returnUrlOrigins',
  })
  @IsOptional()
  returnUrl?: string;

  @ApiPropertyOptional({ default: false, description: 'Whether the session may delete connections' })
  @IsOptional()
  allowDelete?: boolean;
}

/** The answer of `POST …/connect-sessions`. @internal */
export class CreatedConnectSessionDto {
  @ApiProperty({ description: 'Shown once; stored only as its SHA-256', example: 'sa_cs_…' }) token!: string;
  @ApiProperty({ example: 'https://app.example.com/signing-auth/connect/#session=sa_cs_…' })
  connectUrl!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ type: [String], example: ['docusign'] }) providers!: string[];
}

/** The answer of `GET …/connect-session`: the session its bearer token belongs to. @internal */
export class ConnectSessionDto {
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ type: [String], example: ['docusign'] }) providers!: string[];
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiPropertyOptional({ example: 'https://app.example.com' }) returnOrigin?: string;
  @ApiPropertyOptional({ example: 'https://app.example.com/settings/integrations' }) returnUrl?: string;
  @ApiProperty() allowDelete!: boolean;
}
