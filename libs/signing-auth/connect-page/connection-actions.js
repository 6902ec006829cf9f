// What a person does to a connection: save credentials, connect (consent), test, refresh, delete. Each
// outcome is shown beside the control that started it.
import { ApiError } from './api.js';
import { $, clearOutcome, el, safeHttpUrl, showOutcome } from './dom.js';

export class ConnectionActions {
  /**
   * `api`, `form` (CredentialsForm), `table` (ConnectionsTable), `tenant()`, `load()` (re-renders the
   * connections) and `finish(outcome)` (tenant mode: tell the opener).
   */
  constructor({ api, form, table, tenant, load, finish }) {
    Object.assign(this, { api, form, table, tenant, load, finish });
  }

  connectionPath(provider) {
    return `/tenants/${encodeURIComponent(this.tenant())}/connections/${encodeURIComponent(provider)}`;
  }

  async onAction(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const { action, provider } = button.dataset;
    const { table } = this;
    const title = this.form.title(provider);
    if (
      action === 'delete' &&
      !window.confirm(`Delete the ${title} connection of ${this.tenant()} and its secrets?`)
    ) {
      return;
    }
    button.disabled = true;
    table.clearRowOutcome(provider);
    clearOutcome($('table-outcome'));
    try {
      if (action === 'connect')
        await this.connect(provider, (kind, text) => table.showRowOutcome(provider, kind, text));
      else if (action === 'refresh') await this.refresh(provider, title);
      else if (action === 'test') await this.test(provider, title);
      else if (action === 'delete') {
        await this.api('DELETE', this.connectionPath(provider));
        table.outcomes.delete(provider);
        await this.load();
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
  async connect(provider, report) {
    const { authorizationUrl } = await this.api('POST', `${this.connectionPath(provider)}/authorize`);
    const target = safeHttpUrl(authorizationUrl);
    if (!target) throw new ApiError('The server answered an authorization URL that is not http(s).', 0);
    report('info', `Opening ${this.form.title(provider)} to sign in and consent…`);
    location.assign(target);
  }

  async refresh(provider, title) {
    let view;
    try {
      view = await this.api('POST', `${this.connectionPath(provider)}/refresh`);
    } finally {
      // A failed refresh changes the connection too (needs_reauth, last error): show it either way.
      await this.load().catch(() => undefined);
    }
    const kind = view.status === 'active' ? 'success' : 'warning';
    this.table.showRowOutcome(provider, kind, `Refreshed ${title}: ${view.status}`);
  }

  async test(provider, title) {
    const result = await this.api('POST', `${this.connectionPath(provider)}/test`);
    await this.load().catch(() => undefined);
    const verdict = result.ok ? `${title} answered: the connection works.` : `${title} test failed.`;
    this.table.showRowOutcome(
      provider,
      result.ok ? 'success' : 'error',
      `${verdict} ${result.message || ''}`.trim(),
    );
  }

  async save() {
    const { form } = this;
    const box = $('save-outcome');
    const provider = form.provider;
    const title = form.title(provider);
    form.markProblems([]);
    // The old outcome goes at once, so the one that appears next is this save's.
    clearOutcome(box);
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
      const view = await this.api('PUT', this.connectionPath(provider), body);
      form.clearSecrets();
      await this.load();
      this.reportSaved(box, view, title);
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
  reportSaved(box, view, title) {
    const next = (label) => {
      const button = el('button', { type: 'button', text: label });
      button.addEventListener('click', () =>
        this.connect(view.provider, (kind, text) => showOutcome(box, kind, text)).catch((error) =>
          showOutcome(box, 'error', error.message),
        ),
      );
      return button;
    };
    if (view.status === 'active') {
      showOutcome(box, 'success', `Saved ${title}: active. It is ready to use.`);
      this.finish({ provider: view.provider, status: 'active' });
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
}
