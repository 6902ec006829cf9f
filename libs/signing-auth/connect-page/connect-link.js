// Operator mode: "Create connect link" for the tenant shown. POST {prefix}/tenants/:tenantId/connect-sessions
// answers a one-time token inside `connectUrl`; the link is shown once, with a Copy button.
import { $, clearOutcome, el, formatTime, showOutcome } from './dom.js';

export class ConnectLinkPanel {
  /** `api` as made by createApi, `form` the CredentialsForm (for the provider list), `tenant()` the tenant. */
  constructor({ api, form, tenant }) {
    this.api = api;
    this.form = form;
    this.tenant = tenant;
    $('connect-link-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    $('copy-link').addEventListener('click', () => void this.copy());
  }

  /** Called when a tenant is shown: one checkbox per provider, and no link of another tenant left over. */
  reset() {
    const box = $('link-providers');
    box.querySelectorAll('.check').forEach((node) => node.remove());
    for (const [id, description] of this.form.providers) {
      const input = el('input', { type: 'checkbox', value: id, id: `link-provider-${id}` });
      box.append(el('label', { className: 'check', htmlFor: input.id }, [input, description.title || id]));
    }
    $('link-output').hidden = true;
    $('connect-link').value = '';
    clearOutcome($('link-outcome'));
  }

  async create() {
    const providers = [...document.querySelectorAll('#link-providers input:checked')].map((n) => n.value);
    const body = { expiresInSeconds: Number($('link-lifetime').value) };
    if (providers.length > 0) body.providers = providers;
    if ($('link-allow-delete').checked) body.allowDelete = true;
    const button = $('create-link');
    button.disabled = true;
    try {
      const tenant = this.tenant();
      const session = await this.api('POST', `/tenants/${encodeURIComponent(tenant)}/connect-sessions`, body);
      $('connect-link').value = session.connectUrl;
      const scope =
        session.providers && session.providers.length > 0 ? session.providers.join(', ') : 'every provider';
      $('connect-link-help').textContent =
        `Valid until ${formatTime(session.expiresAt)} for tenant ${session.tenantId} (${scope}). ` +
        'It is shown only now; anyone who has it can manage these connections until then.';
      $('link-output').hidden = false;
      showOutcome($('link-outcome'), 'success', `Connect link created for ${session.tenantId}.`, {
        focus: false,
      });
      $('connect-link').focus();
      $('connect-link').select();
      $('link-output').scrollIntoView({ block: 'nearest' });
    } catch (error) {
      $('link-output').hidden = true;
      showOutcome($('link-outcome'), 'error', `No link created: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  async copy() {
    const input = $('connect-link');
    try {
      await navigator.clipboard.writeText(input.value);
      showOutcome($('link-outcome'), 'success', 'Copied the connect link.', { focus: false });
    } catch {
      // No clipboard permission (an insecure context, say): leave it selected for Ctrl+C.
      input.focus();
      input.select();
      showOutcome($('link-outcome'), 'warning', 'Could not copy: the link is selected, press Ctrl+C (⌘C).', {
        focus: false,
      });
    }
  }
}
