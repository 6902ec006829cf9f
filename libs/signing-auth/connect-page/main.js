// The Connect page: plain DOM, no framework, no build. Two modes:
// - operator: signs in with an admin token, picks any tenant, can create connect links;
// - tenant: opened at `connect/#session=<token>` (a connect session), shows that tenant and the session's
//   providers only, with no tenant field and no admin wording.
import { ApiError, createApi } from './api.js';
import { ConnectLinkPanel } from './connect-link.js';
import { ConnectionsTable } from './connections-table.js';
import { CredentialsForm } from './credentials-form.js';
import { $, clearOutcome, el, formatTime, safeHttpUrl, showOutcome } from './dom.js';
import { forgetSession, notifyOpener, sessionToken, takeSessionFromFragment } from './tenant-session.js';

const ADMIN_TOKEN_KEY = 'signingAuthAdminToken';
const TENANT_KEY = 'signingAuthTenant';
const tenantMode = takeSessionFromFragment();
/** The answer of GET connect-session (tenant mode). */
let session = null;

const api = createApi(
  () => (tenantMode ? sessionToken() : sessionStorage.getItem(ADMIN_TOKEN_KEY)),
  () => (tenantMode ? sessionExpired() : signOut()),
);
const form = new CredentialsForm();
const table = new ConnectionsTable({
  titleOf: (provider) => form.title(provider),
  canDelete: () => !tenantMode || Boolean(session && session.allowDelete),
});
const linkPanel = tenantMode ? null : new ConnectLinkPanel({ api, form, tenant: () => tenant() });

const tenant = () => (tenantMode ? session && session.tenantId : sessionStorage.getItem(TENANT_KEY));
const connectionPath = (provider) =>
  `/tenants/${encodeURIComponent(tenant())}/connections/${encodeURIComponent(provider)}`;

function show(id, visible = true) {
  $(id).hidden = !visible;
}

// ---- Loading the tenant's connections --------------------------------------------------------------

/** In tenant mode only the session's providers are shown, even if the tenant has others. */
function allowedProvider(provider) {
  return (
    !tenantMode ||
    !session.providers ||
    session.providers.length === 0 ||
    session.providers.includes(provider)
  );
}

async function load() {
  if (!tenant()) return;
  const connections = await api('GET', `/tenants/${encodeURIComponent(tenant())}/connections`);
  table.render(connections.filter((c) => allowedProvider(c.provider)));
  if (!tenantMode) {
    $('connections-title').textContent = `Connections of ${tenant()}`;
    $('tenant').value = tenant();
  }
  show('connections-section');
  show('credentials-section');
  if (linkPanel) show('connect-link-section');
}

async function loadProviders(token) {
  const list = await api('GET', '/providers', undefined, token);
  form.setProviders(list.filter((p) => allowedProvider(p.provider)));
}

// ---- Operator mode ---------------------------------------------------------------------------------

function signOut() {
  sessionStorage.removeItem(ADMIN_TOKEN_KEY);
  show('workspace', false);
  show('sign-out', false);
  show('sign-in-section');
  showOutcome($('sign-in-outcome'), 'error', 'The admin token was refused: check it and sign in again.');
}

/** Checks the token against the API (GET /providers) before showing anything: a wrong one stops here. */
async function signIn(candidate) {
  await loadProviders(candidate);
  sessionStorage.setItem(ADMIN_TOKEN_KEY, candidate);
  show('sign-in-section', false);
  show('workspace');
  show('tenant-section');
  show('sign-out');
  clearOutcome($('sign-in-outcome'));
}

async function startOperator() {
  $('title').textContent = 'signing-auth · Connect';
  document.title = 'signing-auth · Connect';
  show('loading', false);
  const stored = sessionStorage.getItem(ADMIN_TOKEN_KEY);
  if (!stored) {
    readReturn();
    show('sign-in-section');
    return;
  }
  try {
    await signIn(stored);
    readReturn();
    await load();
    linkPanel.reset();
  } catch (error) {
    if (error.status !== 401) showOutcome($('message'), 'error', error.message);
  }
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const candidate = $('token').value.trim();
  try {
    await signIn(candidate);
    $('token').value = '';
    await load();
    linkPanel.reset();
  } catch (error) {
    if (error.status !== 401) showOutcome($('sign-in-outcome'), 'error', error.message);
  }
});
$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(ADMIN_TOKEN_KEY);
  location.reload();
});
$('tenant-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TENANT_KEY, $('tenant').value.trim());
  table.outcomes.clear();
  clearOutcome($('tenant-outcome'));
  try {
    await load();
    linkPanel.reset();
  } catch (error) {
    if (error.status !== 401) showOutcome($('tenant-outcome'), 'error', error.message);
  }
});

// ---- Tenant mode -----------------------------------------------------------------------------------

function sessionExpired() {
  forgetSession();
  show('workspace', false);
  show('loading', false);
  showOutcome(
    $('message'),
    'error',
    'This connect link has expired or was revoked. Ask whoever sent it to you for a new one.',
  );
}

async function startTenant() {
  try {
    session = await api('GET', '/connect-session');
  } catch (error) {
    if (error.status !== 401)
      showOutcome($('message'), 'error', `This connect link cannot be used: ${error.message}`);
    show('loading', false);
    return;
  }
  $('title').textContent = 'Connect your accounts';
  document.title = 'Connect your accounts';
  $('subtitle').textContent =
    `For ${session.tenantId} · this link works until ${formatTime(session.expiresAt)}`;
  show('subtitle');
  $('connections-title').textContent = 'Your connections';
  $('credentials-title').textContent = 'Add an account';
  const back = safeHttpUrl(session.returnUrl);
  if (back && !window.opener) {
    $('return-anchor').href = back;
    $('return-anchor').textContent = `Back to ${new URL(back).host}`;
    show('return-link');
  }
  try {
    await loadProviders();
    readReturn();
    show('loading', false);
    show('workspace');
    await load();
  } catch (error) {
    show('loading', false);
    if (error.status !== 401) showOutcome($('message'), 'error', error.message);
  }
}

/** Popup: tells the opener (only at the session's return origin) and closes once the outcome is final. */
function finish(outcome) {
  if (!tenantMode) return;
  if (notifyOpener(session, outcome) && outcome.status === 'active') window.close();
}

// ---- Back from the provider ------------------------------------------------------------------------

/** The OAuth callback redirected here with the outcome in the query: show it, then drop it from the URL. */
function readReturn() {
  const query = new URLSearchParams(location.search);
  const provider = query.get('provider');
  if (!provider) return;
  history.replaceState(null, '', location.pathname);
  if (!tenantMode && query.get('tenantId')) sessionStorage.setItem(TENANT_KEY, query.get('tenantId'));
  const title = form.title(provider);
  const error = query.get('error');
  if (error) {
    // The callback's `message` already holds the provider's code and description: print it alone, so
    // nothing shows twice; without it, the code and the description.
    const description = query.get('error_description');
    const message = query.get('message');
    let text = `Connecting ${title} failed: `;
    if (message && message.includes(error)) text += message;
    else text += [error, description, message].filter(Boolean).join(' — ');
    showOutcome($('message'), 'error', text);
    finish({ provider, status: 'error', error, message: message || description || error });
    return;
  }
  const status = query.get('status') || 'active';
  showOutcome($('message'), status === 'active' ? 'success' : 'warning', `Connected ${title}: ${status}`);
  finish({ provider, status });
}

// ---- Actions on a connection -----------------------------------------------------------------------

async function onAction(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const { action, provider } = button.dataset;
  const title = form.title(provider);
  if (
    action === 'delete' &&
    !window.confirm(`Delete the ${title} connection of ${tenant()} and its secrets?`)
  )
    return;
  button.disabled = true;
  try {
    if (action === 'connect')
      await connect(provider, (kind, text) => table.showRowOutcome(provider, kind, text));
    else if (action === 'refresh') await refresh(provider, title);
    else if (action === 'test') await test(provider, title);
    else if (action === 'delete') {
      await api('DELETE', connectionPath(provider));
      table.outcomes.delete(provider);
      await load();
      showOutcome($('table-outcome'), 'success', `Deleted the ${title} connection.`);
    }
  } catch (error) {
    if (error.status === 401) return;
    if (action === 'delete') showOutcome($('table-outcome'), 'error', `Not deleted: ${error.message}`);
    else table.showRowOutcome(provider, 'error', error.message);
  } finally {
    button.disabled = false;
  }
}

/** Starts the provider's consent: the browser leaves for the provider and comes back to this page. */
async function connect(provider, report) {
  const { authorizationUrl } = await api('POST', `${connectionPath(provider)}/authorize`);
  const target = safeHttpUrl(authorizationUrl);
  if (!target) throw new ApiError('The server answered an authorization URL that is not http(s).', 0);
  report('info', `Opening ${form.title(provider)} to sign in and consent…`);
  location.assign(target);
}

async function refresh(provider, title) {
  let view;
  try {
    view = await api('POST', `${connectionPath(provider)}/refresh`);
  } finally {
    // A failed refresh changes the connection too (needs_reauth, last error): show it either way.
    await load().catch(() => undefined);
  }
  table.showRowOutcome(
    provider,
    view.status === 'active' ? 'success' : 'warning',
    `Refreshed ${title}: ${view.status}`,
  );
}

async function test(provider, title) {
  const result = await api('POST', `${connectionPath(provider)}/test`);
  await load().catch(() => undefined);
  const verdict = result.ok ? `${title} answered: the connection works.` : `${title} test failed.`;
  table.showRowOutcome(
    provider,
    result.ok ? 'success' : 'error',
    `${verdict} ${result.message || ''}`.trim(),
  );
}

// ---- Saving credentials ----------------------------------------------------------------------------

async function save() {
  const box = $('save-outcome');
  const provider = form.provider;
  const title = form.title(provider);
  form.markProblems([]);
  let body;
  try {
    body = form.read();
  } catch (error) {
    const problems = form.markProblems(error.problems || []);
    showOutcome(box, 'error', 'Not saved: fix the fields listed here.', { problems });
    return;
  }
  $('save').disabled = true;
  try {
    const view = await api('PUT', connectionPath(provider), body);
    form.clearSecrets();
    await load();
    reportSaved(box, view, title);
  } catch (error) {
    if (error.status === 401) return;
    if (error instanceof ApiError && error.problems.length > 0) {
      const problems = form.markProblems(error.problems);
      showOutcome(box, 'error', 'Not saved: fix the fields listed here.', { problems });
    } else {
      // No field to point at (e.g. the provider refused the credentials): the server's own words.
      showOutcome(box, 'error', `Not saved: ${error.message}`);
    }
  } finally {
    $('save').disabled = false;
  }
}

/** The outcome of a save, by the connection's status, with the next step as a button where there is one. */
function reportSaved(box, view, title) {
  const next = (label) => {
    const button = el('button', { type: 'button', text: label });
    button.addEventListener('click', () =>
      connect(view.provider, (kind, text) => showOutcome(box, kind, text)).catch((error) =>
        showOutcome(box, 'error', error.message),
      ),
    );
    return button;
  };
  if (view.status === 'active') {
    showOutcome(box, 'success', `Saved ${title}: active. It is ready to use.`);
    finish({ provider: view.provider, status: 'active' });
  } else if (view.status === 'pending') {
    showOutcome(box, 'warning', `Saved ${title}: pending. Next: sign in at ${title} and consent.`, {
      after: [next(`Connect ${title}`)],
    });
  } else if (view.status === 'needs_reauth') {
    const canConsent = view.grantType === 'jwt' || view.grantType === 'authorization_code';
    showOutcome(
      box,
      'warning',
      `Saved ${title}, but it needs consent: ${view.lastError || 'consent required'}`,
      {
        after: canConsent ? [next('Grant consent')] : [],
      },
    );
  } else {
    showOutcome(
      box,
      'error',
      `Saved ${title} with status ${view.status}: ${view.lastError || 'not verified yet'}`,
    );
  }
}

$('credentials-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void save();
});
$('provider').addEventListener('change', () => {
  form.build();
  clearOutcome($('save-outcome'));
});
$('config-fields').addEventListener('change', () => form.updateConditions());
$('connections').addEventListener('click', (event) => void onAction(event));

void (tenantMode ? startTenant() : startOperator());
