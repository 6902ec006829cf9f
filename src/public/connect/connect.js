/* global document, window, sessionStorage, fetch, location, history, URLSearchParams */
// The Connect page: plain DOM, no framework, no build. Everything shown is set with textContent, never
// innerHTML, so a tenant id, error message or provider answer cannot inject markup. The credential forms
// are built from GET {prefix}/providers: the JSON Schema the admin API validates the PUT body with.
'use strict';

(() => {
  const TOKEN_KEY = 'signingAuthAdminToken';
  const TENANT_KEY = 'signingAuthTenant';
  const prefix = document.querySelector('meta[name="signing-auth-prefix"]').content.replace(/\/+$/, '');
  const $ = (id) => document.getElementById(id);
  /** Provider id → its description from GET /providers (JSON Schema of config and secrets). */
  let providers = new Map();

  class ApiError extends Error {
    constructor(message, problems = []) {
      super(message);
      this.problems = problems;
    }
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const tenant = () => sessionStorage.getItem(TENANT_KEY);

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else node[key] = value;
    }
    for (const child of children) if (child) node.appendChild(child);
    return node;
  }

  function showMessage(text, isError = false, problems = []) {
    const box = $('message');
    box.textContent = text;
    box.className = isError ? 'error' : '';
    box.hidden = !text;
    const list = $('problems');
    list.replaceChildren(...problems.map((p) => el('li', { text: `${p.field}: ${p.message}` })));
    list.hidden = problems.length === 0;
  }

  async function api(method, path, body, authToken = token()) {
    const headers = { authorization: `Bearer ${authToken}`, accept: 'application/json' };
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
      throw new ApiError('The admin token was refused: check it and sign in again.');
    }
    if (!res.ok) {
      const problems = data && Array.isArray(data.errors) ? data.errors : [];
      throw new ApiError((data && data.message) || `The server answered ${res.status}`, problems);
    }
    return data;
  }

  const tenantPath = () => `/tenants/${encodeURIComponent(tenant())}`;
  const connectionPath = (provider) => `${tenantPath()}/connections/${encodeURIComponent(provider)}`;

  /**
   * "2026-12-02 10:41 UTC (in 59 min)". Within a minute of now it reads "just now" (a moment that has passed,
   * or a clock a second apart) or "in under a minute"; never "in 0 min".
   */
  function formatTime(iso, { past = false } = {}) {
    if (!iso) return '—';
    const date = new Date(iso);
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    let relative;
    if (abs < 60) relative = seconds > 0 && !past ? 'in under a minute' : 'just now';
    else {
      const minutes = Math.round(abs / 60);
      const amount =
        minutes < 120
          ? `${minutes} min`
          : minutes < 2880
            ? `${Math.round(minutes / 60)} h`
            : `${Math.round(minutes / 1440)} days`;
      relative = seconds >= 0 ? `in ${amount}` : `${amount} ago`;
    }
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC (${relative})`;
  }

  const COLUMNS = [
    'Provider',
    'Status',
    'Grant',
    'Access token expires',
    'Refresh token expires',
    'Last refreshed',
    'Last error',
    'Actions',
  ];

  function cell(row, text, className) {
    // data-label: the column name shown beside the value when the table is laid out as cards (phones).
    // The value sits in one element, so the card layout has exactly two grid items: label and value.
    const value = el('div', { className: 'value', text });
    const td = el('td', { dataset: { label: COLUMNS[row.children.length] } }, [value]);
    if (className) td.className = className;
    row.appendChild(td);
    return value;
  }

  /** "2026-12-02 19:16 UTC" kept on one line, then "(in 8 h)". */
  function timeCell(row, iso, options) {
    const text = formatTime(iso, options);
    const split = text.indexOf(' (');
    if (split < 0) return cell(row, text);
    const value = cell(row, '', 'time');
    value.append(el('span', { className: 'nowrap', text: text.slice(0, split) }), text.slice(split));
    return value;
  }

  function actionButton(label, action, provider, className) {
    return el('button', {
      type: 'button',
      text: label,
      className: className || '',
      dataset: { action, provider },
    });
  }

  /** Only what the API would do for this status: refresh answers 409 on pending and needs_reauth. */
  function actionsFor(c) {
    const actions = [];
    const code = c.grantType === 'authorization_code';
    if (code) actions.push([c.status === 'active' ? 'Reconnect' : 'Connect', 'connect']);
    else if (c.grantType === 'jwt' && c.status !== 'active') actions.push(['Grant consent', 'connect']);
    if (c.status === 'active' || c.status === 'error') actions.push(['Refresh now', 'refresh', 'secondary']);
    actions.push(['Delete', 'delete', 'danger']);
    return actions;
  }

  function render(connections) {
    $('tenant-name').textContent = tenant();
    const body = $('connections').querySelector('tbody');
    body.replaceChildren();
    for (const c of connections) {
      const row = el('tr', { dataset: { provider: c.provider } });
      const providerCell = cell(row, providers.get(c.provider)?.title || c.provider);
      const account = c.metadata && (c.metadata.accountName || c.metadata.accountId);
      if (account) providerCell.appendChild(el('div', { className: 'hint', text: String(account) }));
      cell(row, '').appendChild(el('span', { className: `status status-${c.status}`, text: c.status }));
      cell(row, c.grantType);
      timeCell(row, c.accessTokenExpiresAt);
      timeCell(row, c.refreshTokenExpiresAt);
      timeCell(row, c.lastRefreshedAt, { past: true });
      cell(row, c.lastError || '—', c.lastError ? 'error-text' : '');
      const actions = cell(row, '', 'actions');
      for (const [label, action, className] of actionsFor(c)) {
        actions.appendChild(actionButton(label, action, c.provider, className));
      }
      body.appendChild(row);
    }
    $('connections').hidden = connections.length === 0;
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

  /** Checks the token against the API (GET /providers) before showing anything: a wrong one stops here. */
  async function signIn(candidate) {
    const list = await api('GET', '/providers', undefined, candidate);
    sessionStorage.setItem(TOKEN_KEY, candidate);
    providers = new Map(list.map((p) => [p.provider, p]));
    const select = $('provider');
    const chosen = select.value;
    select.replaceChildren(
      ...list.map((p) => el('option', { value: p.provider, text: p.title || p.provider })),
    );
    if (providers.has(chosen)) select.value = chosen;
    buildForm();
    $('sign-in-section').hidden = true;
    $('admin').hidden = false;
    $('sign-out').hidden = false;
    if (tenant()) $('tenant').value = tenant();
  }

  // ---- The credential form, from the provider's JSON Schema -------------------------------------------

  /** Whether `field` applies now: fields required only for another field's value show only then. */
  function conditionHolds(field, values) {
    const when = field['x-requiredWhen'];
    if (!when) return null;
    return Object.entries(when).some(([path, allowed]) => allowed.includes(values[path]));
  }

  function fieldInput(part, name, field) {
    const id = `f-${part}-${name}`;
    const common = { id, name: `${part}.${name}`, dataset: { part, name } };
    if (field.enum) {
      const select = el('select', common);
      // An optional choice with no default sends nothing unless picked (the server then applies its own).
      if (field.default === undefined) select.appendChild(el('option', { value: '', text: '(default)' }));
      for (const value of field.enum) select.appendChild(el('option', { value, text: value }));
      if (field.default !== undefined) select.value = String(field.default);
      return select;
    }
    if (field.type === 'boolean') {
      return el('input', { ...common, type: 'checkbox', checked: field.default === true });
    }
    if (field['x-multiline']) {
      return el('textarea', {
        ...common,
        rows: 5,
        spellcheck: false,
        autocomplete: 'off',
        className: 'secret',
      });
    }
    const input = el('input', {
      ...common,
      type: field.writeOnly ? 'password' : 'text',
      autocomplete: field.writeOnly ? 'new-password' : 'off',
      spellcheck: false,
    });
    if (field.type === 'array') input.placeholder = 'space-separated, e.g. a b';
    else if (field.format === 'uri') input.placeholder = 'https://…';
    return input;
  }

  function buildPart(part, schema, container) {
    container.querySelectorAll('.field, textarea.json').forEach((node) => node.remove());
    if (!schema) {
      // A custom strategy without a description: a JSON object, as the API takes it.
      container.appendChild(
        el('div', { className: 'field' }, [
          el('label', { htmlFor: `json-${part}`, text: `${part} (JSON object)` }),
          el('textarea', { id: `json-${part}`, className: 'json', rows: 4, spellcheck: false, value: '{}' }),
        ]),
      );
      return;
    }
    for (const [name, field] of Object.entries(schema.properties)) {
      const input = fieldInput(part, name, field);
      const label = el('label', { htmlFor: input.id, text: field.title || name });
      const mark = el('span', { className: 'required-mark', text: ' *', title: 'required' });
      mark.hidden = !schema.required.includes(name);
      mark.dataset.required = schema.required.includes(name) ? 'always' : 'when';
      label.appendChild(mark);
      const wrapper = el('div', { className: 'field', dataset: { field: `${part}.${name}` } }, [
        field.type === 'boolean' ? null : label,
        field.type === 'boolean' ? el('label', { className: 'check' }, [input, label]) : input,
        field.description ? el('p', { className: 'hint', text: field.description }) : null,
        el('p', { className: 'field-error', hidden: true }),
      ]);
      if (field.type === 'boolean') label.htmlFor = '';
      container.appendChild(wrapper);
    }
  }

  function buildForm() {
    const schema = providers.get($('provider').value);
    $('provider-help').textContent = (schema && schema.description) || '';
    buildPart('config', schema && schema.config, $('config-fields'));
    buildPart('secrets', schema && schema.secrets, $('secrets-fields'));
    updateConditions();
  }

  /** Shows the conditional fields whose condition holds now, with their required mark. */
  function updateConditions() {
    const schema = providers.get($('provider').value);
    if (!schema || !schema.config) return;
    const values = {};
    for (const node of document.querySelectorAll('#config-fields select')) {
      values[node.dataset.name] = node.value;
      values[`config.${node.dataset.name}`] = node.value;
    }
    for (const part of ['config', 'secrets']) {
      for (const [name, field] of Object.entries(schema[part].properties)) {
        const holds = conditionHolds(field, values);
        if (holds === null) continue;
        const wrapper = document.querySelector(`[data-field="${part}.${name}"]`);
        wrapper.hidden = !holds;
        wrapper.querySelector('.required-mark').hidden = !holds;
      }
    }
  }

  function readPart(part, schema) {
    if (!schema) {
      try {
        const value = JSON.parse($(`json-${part}`).value || '{}');
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
        return value;
      } catch {
        throw new ApiError(`${part}: must be a JSON object`);
      }
    }
    const out = {};
    for (const [name, field] of Object.entries(schema.properties)) {
      const wrapper = document.querySelector(`[data-field="${part}.${name}"]`);
      if (wrapper.hidden) continue;
      const input = wrapper.querySelector('[data-name]');
      if (field.type === 'boolean') {
        if (input.checked !== (field.default === true)) out[name] = input.checked;
        continue;
      }
      const text = input.value.trim();
      if (!text) continue;
      out[name] = field.type === 'array' ? text.split(/[\s,]+/).filter(Boolean) : text;
    }
    return out;
  }

  function markProblems(problems) {
    for (const node of document.querySelectorAll('.field-error')) {
      node.hidden = true;
      node.textContent = '';
    }
    for (const node of document.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
    for (const problem of problems) {
      const wrapper = document.querySelector(`[data-field="${problem.field}"]`);
      if (!wrapper) continue;
      const note = wrapper.querySelector('.field-error');
      note.textContent = problem.message;
      note.hidden = false;
      wrapper.querySelector('[data-name]').setAttribute('aria-invalid', 'true');
    }
  }

  function clearSecrets() {
    for (const node of document.querySelectorAll('#secrets-fields input, #secrets-fields textarea')) {
      node.value = node.classList.contains('json') ? '{}' : '';
    }
  }

  // ---- Actions --------------------------------------------------------------------------------------

  /** Runs an action and reports its outcome (or error, with every problem listed) in the message box. */
  async function run(action) {
    try {
      const message = await action();
      if (message) showMessage(message);
    } catch (error) {
      if (error instanceof ApiError) showMessage(error.message, true, error.problems);
      else showMessage(`Unexpected error: ${error}`, true);
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
        try {
          const view = await api('POST', `${connectionPath(provider)}/refresh`);
          return `Refreshed ${provider}: ${view.status}`;
        } finally {
          // A failed refresh changes the connection too (needs_reauth, last error): show it either way.
          await load().catch(() => undefined);
        }
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
      // The callback's `message` already holds the provider's code and description: print it alone, so
      // nothing shows twice; without it, the code and the description.
      const { provider, error, description, message } = {
        provider: query.get('provider'),
        error: query.get('error'),
        description: query.get('error_description'),
        message: query.get('message'),
      };
      let text = `Connecting ${provider} failed: `;
      if (message && message.includes(error)) text += message;
      else text += [error, description, message].filter(Boolean).join(' — ');
      showMessage(text, true);
    } else {
      showMessage(`Connected ${query.get('provider')}: ${query.get('status')}`);
    }
    history.replaceState(null, '', location.pathname);
  }

  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const candidate = $('token').value.trim();
    run(async () => {
      await signIn(candidate);
      $('token').value = '';
      showMessage('');
      await load();
    });
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
    const provider = $('provider').value;
    const schema = providers.get(provider);
    markProblems([]);
    run(async () => {
      const body = {
        config: readPart('config', schema && schema.config),
        secrets: readPart('secrets', schema && schema.secrets),
      };
      try {
        const view = await api('PUT', connectionPath(provider), body);
        clearSecrets();
        await load();
        const next = view.status === 'pending' ? ' — press Connect to authorize' : '';
        return `Saved ${provider}: ${view.status}${next}`;
      } catch (error) {
        if (error instanceof ApiError && error.problems.length > 0) {
          markProblems(error.problems);
          throw new ApiError('Not saved: fix the fields below.', error.problems);
        }
        // No field to point at (e.g. the provider refused the credentials): the server's own words.
        if (error instanceof ApiError) markProblems([]);
        throw error;
      }
    });
  });
  $('provider').addEventListener('change', () => {
    buildForm();
    markProblems([]);
  });
  $('config-fields').addEventListener('change', updateConditions);
  $('connections').addEventListener('click', onAction);

  readReturn();
  if (token()) {
    run(async () => {
      await signIn(token());
      await load();
    });
  }
})();
