/* global document, window, sessionStorage, fetch, location, history, URLSearchParams */
// The Connect page: plain DOM, no framework, no build. Everything shown is set with textContent, never
// innerHTML, so a tenant id, error message or provider answer cannot inject markup.
'use strict';

(() => {
  const TOKEN_KEY = 'signingAuthAdminToken';
  const TENANT_KEY = 'signingAuthTenant';
  const prefix = document.querySelector('meta[name="signing-auth-prefix"]').content.replace(/\/+$/, '');
  const $ = (id) => document.getElementById(id);

  const TEMPLATES = {
    docusign: [
      // No scopes: the default "signature extended" keeps renewing the ~30-day refresh token.
      { environment: 'demo', integrationKey: '', grant: 'authorization_code' },
      { secretKey: '' },
    ],
    'formstack-sign': [{ clientId: '', grant: 'authorization_code' }, { clientSecret: '' }],
    signicat: [
      { clientId: '', generation: 'express', scopes: ['document_read', 'document_write'] },
      { clientSecret: '' },
    ],
    docspring: [{ region: 'us', tokenId: '' }, { tokenSecret: '' }],
    oauth2: [
      { authorizationUrl: '', tokenUrl: '', clientId: '', grant: 'authorization_code', scopes: [] },
      { clientSecret: '' },
    ],
  };

  class ApiError extends Error {}

  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const tenant = () => sessionStorage.getItem(TENANT_KEY);

  function showMessage(text, isError = false) {
    const box = $('message');
    box.textContent = text;
    box.className = isError ? 'error' : '';
    box.hidden = !text;
  }

  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${token()}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(prefix + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.status === 401) {
      signOut();
      throw new ApiError('The admin token was refused: sign in again.');
    }
    if (!res.ok) throw new ApiError((data && data.message) || `The server answered ${res.status}`);
    return data;
  }

  const tenantPath = () => `/tenants/${encodeURIComponent(tenant())}`;
  const connectionPath = (provider) => `${tenantPath()}/connections/${encodeURIComponent(provider)}`;

  function formatTime(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    const minutes = Math.round((date.getTime() - Date.now()) / 60_000);
    const relative =
      Math.abs(minutes) < 120
        ? `${Math.abs(minutes)} min`
        : Math.abs(minutes) < 2880
          ? `${Math.round(Math.abs(minutes) / 60)} h`
          : `${Math.round(Math.abs(minutes) / 1440)} days`;
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC (${minutes >= 0 ? 'in ' : ''}${relative}${minutes < 0 ? ' ago' : ''})`;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function actionButton(label, action, provider, className) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.dataset.action = action;
    button.dataset.provider = provider;
    if (className) button.className = className;
    return button;
  }

  function render(connections) {
    $('tenant-name').textContent = tenant();
    const body = $('connections').querySelector('tbody');
    body.replaceChildren();
    for (const c of connections) {
      const row = document.createElement('tr');
      row.dataset.provider = c.provider;
      const providerCell = cell(row, c.provider);
      const account = c.metadata && (c.metadata.accountName || c.metadata.accountId);
      if (account) {
        const small = document.createElement('div');
        small.className = 'hint';
        small.textContent = String(account);
        providerCell.appendChild(small);
      }
      const status = document.createElement('span');
      status.className = `status status-${c.status}`;
      status.textContent = c.status;
      cell(row, '').appendChild(status);
      cell(row, c.grantType);
      cell(row, formatTime(c.accessTokenExpiresAt));
      cell(row, formatTime(c.refreshTokenExpiresAt));
      cell(row, formatTime(c.lastRefreshedAt));
      cell(row, c.lastError || '—', c.lastError ? 'error-text' : '');
      const actions = cell(row, '');
      if (c.grantType === 'authorization_code') {
        actions.appendChild(
          actionButton(c.status === 'active' ? 'Reconnect' : 'Connect', 'connect', c.provider),
        );
      } else if (c.grantType === 'jwt') {
        // DocuSign JWT: the user grants `signature impersonation` once, through the same flow.
        actions.appendChild(actionButton('Grant consent', 'connect', c.provider));
      }
      actions.appendChild(actionButton('Refresh now', 'refresh', c.provider, 'secondary'));
      actions.appendChild(actionButton('Delete', 'delete', c.provider, 'danger'));
      body.appendChild(row);
    }
    $('no-connections').hidden = connections.length > 0;
    $('connections-section').hidden = false;
  }

  async function load() {
    if (!tenant()) return;
    render(await api('GET', `${tenantPath()}/connections`));
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    $('admin').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in-section').hidden = false;
  }

  function signedIn() {
    $('sign-in-section').hidden = true;
    $('admin').hidden = false;
    $('sign-out').hidden = false;
    if (tenant()) $('tenant').value = tenant();
  }

  function fillTemplate() {
    const [config, secrets] = TEMPLATES[$('provider').value] || [{}, {}];
    $('config').value = JSON.stringify(config, null, 2);
    $('secrets').value = JSON.stringify(secrets, null, 2);
  }

  function parseJson(id, field) {
    try {
      const value = JSON.parse($(id).value || '{}');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
      return value;
    } catch {
      throw new ApiError(`${field}: must be a JSON object`);
    }
  }

  /** Runs an action and reports its outcome (or error) in the message box. */
  async function run(action) {
    try {
      const message = await action();
      if (message) showMessage(message);
    } catch (error) {
      showMessage(error instanceof ApiError ? error.message : `Unexpected error: ${error}`, true);
    }
  }

  async function onAction(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const provider = button.dataset.provider;
    if (button.dataset.action === 'connect') {
      await run(async () => {
        const { authorizationUrl } = await api('POST', `${connectionPath(provider)}/authorize`);
        showMessage(`Redirecting to ${provider} …`);
        location.assign(authorizationUrl);
      });
    } else if (button.dataset.action === 'refresh') {
      await run(async () => {
        const view = await api('POST', `${connectionPath(provider)}/refresh`);
        await load();
        return `Refreshed ${provider}: ${view.status}`;
      });
    } else if (button.dataset.action === 'delete') {
      if (!window.confirm(`Delete the ${provider} connection of ${tenant()} and all its secrets?`)) return;
      await run(async () => {
        await api('DELETE', connectionPath(provider));
        await load();
        return `Deleted ${provider}`;
      });
    }
  }

  /** Back from the provider: the OAuth callback redirected here with the outcome in the query. */
  function readReturn() {
    const query = new URLSearchParams(location.search);
    if (!query.has('provider')) return;
    if (query.get('tenantId')) sessionStorage.setItem(TENANT_KEY, query.get('tenantId'));
    if (query.get('error')) {
      const description = query.get('error_description');
      showMessage(
        `Connecting ${query.get('provider')} failed: ${query.get('error')}` +
          (description ? ` (${description})` : '') +
          (query.get('message') ? ` — ${query.get('message')}` : ''),
        true,
      );
    } else {
      showMessage(`Connected ${query.get('provider')}: ${query.get('status')}`);
    }
    history.replaceState(null, '', location.pathname);
  }

  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    signedIn();
    run(load);
  });
  $('sign-out').addEventListener('click', () => {
    signOut();
    showMessage('Signed out.');
  });
  $('tenant-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TENANT_KEY, $('tenant').value.trim());
    showMessage('');
    run(load);
  });
  $('credentials-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      const provider = $('provider').value;
      const body = { config: parseJson('config', 'config'), secrets: parseJson('secrets', 'secrets') };
      const view = await api('PUT', connectionPath(provider), body);
      $('secrets').value = JSON.stringify(TEMPLATES[provider][1], null, 2);
      await load();
      return `Saved ${provider}: ${view.status}${view.status === 'pending' ? ' — press Connect to authorize' : ''}`;
    });
  });
  $('provider').addEventListener('change', fillTemplate);
  $('connections').addEventListener('click', onAction);

  fillTemplate();
  readReturn();
  if (token()) {
    signedIn();
    run(load);
  }
})();
