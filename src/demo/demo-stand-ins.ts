import { randomBytes, randomUUID } from 'node:crypto';
import {
  startDocSpringEmulator,
  startFormstackSignEmulator,
  startSignicatEmulator,
  type DocSpringEmulator,
  type FormstackSignEmulator,
  type SignicatEmulator,
} from '../../test/emulators/index.js';
import type { AppConfig } from '../config/app-config.js';
import { DEMO_DOCUSIGN_ACCOUNT, DEMO_DOCUSIGN_USER, DocuSignStandIn } from './docusign-stand-in.js';

/**
 * DocuSign access tokens last two minutes in the demo: the sweep (every 5 s in the demo) renews one about
 * 12 s before it lapses (the 10 % leeway) when the connection was used lately (`sweep.activeWindowSeconds`;
 * "Test connection" counts), so a newcomer sees a rotation happen by itself within two minutes.
 */
export const DEMO_DOCUSIGN_TOKEN_SECONDS = 120;

/** The credentials the demo tenant's connections are saved with: each stand-in knows them. */
export interface DemoCredentials {
  docusign: { integrationKey: string; secretKey: string };
  formstack: { clientId: string; clientSecret: string };
  signicat: { clientId: string; clientSecret: string };
  docspring: { tokenId: string; tokenSecret: string };
}

export interface DemoStandIns {
  /** The host overrides (the app's SIGNING_AUTH_*_URL variables) that point the library at the stand-ins. */
  hosts: Required<AppConfig['hosts']>;
  credentials: DemoCredentials;
  docusign: DocuSignStandIn;
  close(): Promise<void>;
}

/**
 * Starts local stand-ins for the four providers: the emulators the tests use (real HTTP servers on
 * 127.0.0.1, random ports), each with one client whose credentials are made up here, at every start.
 * `publicUrl` is the app's, for the DocuSign redirect URI.
 */
export async function startDemoStandIns(publicUrl: string): Promise<DemoStandIns> {
  const secret = () => `demo-${randomBytes(12).toString('base64url')}`;
  const credentials: DemoCredentials = {
    docusign: { integrationKey: randomUUID(), secretKey: secret() },
    formstack: { clientId: 'demo-formstack-client', clientSecret: secret() },
    signicat: { clientId: 'demo-signicat-client', clientSecret: secret() },
    docspring: { tokenId: 'tok_demo', tokenSecret: secret() },
  };
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const docusign = await new DocuSignStandIn({
      accessTokenTtlSeconds: DEMO_DOCUSIGN_TOKEN_SECONDS,
      maxLoggedRequests: 0,
    }).listen();
    started.push(docusign);
    docusign.registerClient({
      clientId: credentials.docusign.integrationKey,
      secret: credentials.docusign.secretKey,
      redirectUris: [`${publicUrl}/signing-auth/oauth/docusign/callback`],
    });
    docusign.addUser({
      sub: randomUUID(),
      name: DEMO_DOCUSIGN_USER,
      accounts: [{ account_name: DEMO_DOCUSIGN_ACCOUNT }],
    });
    const formstack: FormstackSignEmulator = await startFormstackSignEmulator({
      maxLoggedRequests: 0,
      clients: [{ clientId: credentials.formstack.clientId, secret: credentials.formstack.clientSecret }],
    });
    started.push(formstack);
    const signicat: SignicatEmulator = await startSignicatEmulator({
      maxLoggedRequests: 0,
      clients: [
        {
          clientId: credentials.signicat.clientId,
          secret: credentials.signicat.clientSecret,
          generation: 'express',
          scopes: ['document_read', 'document_write'],
        },
      ],
    });
    started.push(signicat);
    const docspring: DocSpringEmulator = await startDocSpringEmulator({
      maxLoggedRequests: 0,
      apiTokens: [{ id: credentials.docspring.tokenId, secret: credentials.docspring.tokenSecret }],
    });
    started.push(docspring);
    return {
      hosts: {
        docusignOAuthUrl: docusign.url,
        formstackAuthUrl: formstack.url,
        signicatUrl: signicat.url,
        docspringApiUrl: docspring.url,
      },
      credentials,
      docusign,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
}
