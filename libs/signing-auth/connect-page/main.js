// The Connect page: plain DOM, no framework, no build. Two modes:
// - operator: signs in with an admin token, picks any tenant, can create connect links;
// - tenant: opened at `connect/#session=<token>` (a connect session), shows that tenant and the session's
//   providers only, with no tenant field and no admin wording.
import { createApi } from './api.js';
import { ConnectionActions } from './connection-actions.js';
import { ConnectLinkPanel } from './connect-link.js';
import { ConnectionsTable } from './connections-table.js';
import { CredentialsForm } from './credentials-form.js';
import { $, clearOutcome, formatTime, safeHttpUrl, showOutcome } from './dom.js';
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
const actions = new ConnectionActions({
  api,
  form,
  table,
  tenant,
  load: () => load(),
  finish: (o) => finish(o),
});

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
  $('title').textContent = 'Connect your accounts';
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

$('credentials-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void actions.save();
});
$('provider').addEventListener('change', () => {
  form.build();
  clearOutcome($('save-outcome'));
});
$('config-fields').addEventListener('change', () => form.updateConditions());
$('connections').addEventListener('click', (event) => void actions.onAction(event));

void (tenantMode ? startTenant() : startOperator());
