import {
  DocuSignEmulator,
  type DocuSignEmulatorOptions,
  type EmulatorReply,
  type EmulatorRequest,
} from '../../test/emulators/index.js';

/**
 * The one user and account the stand-in knows. The account name is what the Connect page shows under
 * "DocuSign" once connected, so the page itself says it is a stand-in.
 */
export const DEMO_DOCUSIGN_USER = 'Demo User';
export const DEMO_DOCUSIGN_ACCOUNT = 'Demo account (local stand-in, not DocuSign)';

/** Query parameter the stand-in's consent page adds when the person answers. */
const ANSWER = 'demo_consent';

/**
 * The DocuSign emulator with a consent page in front of `/oauth/auth`. The emulator approves at once (tests
 * need no page); a newcomer trying the demo should see the step a real DocuSign login shows, told plainly
 * that it is a local stand-in. Everything else (codes, tokens, rotation, userinfo) is the emulator's own
 * behaviour, the one the tests prove faithful.
 */
export class DocuSignStandIn extends DocuSignEmulator {
  /** Called after each refresh-token rotation, so the demo's terminal can show it happen. */
  onRotation: (() => void) | undefined;

  constructor(options: DocuSignEmulatorOptions) {
    super(options);
  }

  protected override async handle(req: EmulatorRequest): Promise<EmulatorReply> {
    if (req.method === 'GET' && req.path === '/oauth/auth') {
      const answer = req.query[ANSWER];
      if (answer === undefined) return consentPage(req.query);
      // Declining is the emulator's own "access_denied" redirect (it checks client and redirect URI first).
      this.denyAuthorizations(answer !== 'allow');
      try {
        return await super.handle(req);
      } finally {
        this.denyAuthorizations(false);
      }
    }
    const reply = await super.handle(req);
    if (req.path === '/oauth/token' && req.body.grant_type === 'refresh_token' && reply.status === 200) {
      this.onRotation?.();
    }
    return reply;
  }
}

function consentPage(query: Record<string, string>): EmulatorReply {
  const hidden = Object.entries(query)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const scopes = (query.scope ?? '').split(' ').filter(Boolean).map(escapeHtml).join(', ');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DocuSign stand-in (demo)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1b1b1f}
main{max-width:30rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 4px #0002}
.demo{background:#fff4d6;border:1px solid #e0b84a;padding:.75rem;border-radius:6px}
.row{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.25rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #4a3aff;cursor:pointer}
#allow{background:#4a3aff;color:#fff}#deny{background:#fff;color:#4a3aff}
</style></head><body><main>
<p class="demo"><strong>Demo:</strong> this is a local stand-in for DocuSign, running on your machine
(<code>npm run demo</code>). Nothing here reaches DocuSign; no account is needed.</p>
<h1>Allow access?</h1>
<p>The signing-auth example app asks to act for <strong>${DEMO_DOCUSIGN_USER}</strong> in the account
<strong>${DEMO_DOCUSIGN_ACCOUNT}</strong> with the scopes: ${scopes || 'none'}.</p>
<form method="get" action="/oauth/auth">${hidden}
<div class="row"><button id="allow" name="${ANSWER}" value="allow">Allow</button>
<button id="deny" name="${ANSWER}" value="deny">Deny</button></div></form>
</main></body></html>`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'cache-control': 'no-store',
    },
    body,
  };
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
