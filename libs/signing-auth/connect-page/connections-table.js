// The connections table (one card per connection on narrow screens). Each row keeps the outcome of its
// last action beside its buttons, so "Refreshed" or "Test failed" appears where the person clicked.
import { clearOutcome, el, formatTime, showOutcome } from './dom.js';

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

const STATUS_TEXT = {
  active: 'active',
  pending: 'pending: waiting for consent',
  needs_reauth: 'needs consent again',
  error: 'error',
};

export class ConnectionsTable {
  /** Provider → { kind, text } of its last action, kept across re-renders. */
  outcomes = new Map();

  /** `titleOf(provider)`; `canDelete()`: whether Delete is offered (an operator, or a session that allows it). */
  constructor({ titleOf, canDelete }) {
    this.titleOf = titleOf;
    this.canDelete = canDelete;
    this.table = document.getElementById('connections');
  }

  render(connections) {
    const body = this.table.querySelector('tbody');
    body.replaceChildren(...connections.map((c) => this.row(c)));
    this.table.hidden = connections.length === 0;
    document.getElementById('no-connections').hidden = connections.length > 0;
  }

  /** Shows `text` in the row of `provider`, scrolled into view and focused. */
  showRowOutcome(provider, kind, text) {
    this.outcomes.set(provider, { kind, text });
    const box = this.outcomeBox(provider);
    if (box) showOutcome(box, kind, text);
  }

  clearRowOutcome(provider) {
    this.outcomes.delete(provider);
    const box = this.outcomeBox(provider);
    if (box) clearOutcome(box);
  }

  outcomeBox(provider) {
    return this.table.querySelector(`tr[data-provider="${CSS.escape(provider)}"] .row-outcome`);
  }

  row(c) {
    const row = el('tr', { dataset: { provider: c.provider } });
    const providerCell = cell(row, this.titleOf(c.provider));
    const account = c.metadata && (c.metadata.accountName || c.metadata.accountId);
    if (account) providerCell.append(el('div', { className: 'hint', text: String(account) }));
    cell(row, '').append(
      el('span', { className: `status status-${c.status}`, text: STATUS_TEXT[c.status] || c.status }),
    );
    cell(row, c.grantType);
    timeCell(row, c.accessTokenExpiresAt);
    timeCell(row, c.refreshTokenExpiresAt);
    timeCell(row, c.lastRefreshedAt, { past: true });
    cell(row, c.lastError || '—', c.lastError ? 'error-text' : '');
    const actions = cell(row, '', 'actions');
    const buttons = el('div', { className: 'buttons' });
    for (const [label, action, className] of this.actionsFor(c)) {
      buttons.append(
        el('button', {
          type: 'button',
          text: label,
          className: className || '',
          dataset: { action, provider: c.provider },
        }),
      );
    }
    const box = el('div', { className: 'outcome row-outcome', tabIndex: -1 });
    box.setAttribute('role', 'status');
    box.setAttribute('aria-live', 'polite');
    const last = this.outcomes.get(c.provider);
    if (last) showOutcome(box, last.kind, last.text, { focus: false });
    actions.append(buttons, box);
    return row;
  }

  /** Only what the API would do for this status: refresh answers 409 on pending and needs_reauth. */
  actionsFor(c) {
    const actions = [];
    if (c.grantType === 'authorization_code') {
      actions.push([c.status === 'active' ? 'Reconnect' : 'Connect', 'connect']);
    } else if (c.grantType === 'jwt' && c.status !== 'active') {
      actions.push(['Grant consent', 'connect']);
    }
    if (c.status !== 'pending') actions.push(['Test connection', 'test', 'secondary']);
    if (c.status === 'active' || c.status === 'error') actions.push(['Refresh now', 'refresh', 'secondary']);
    if (this.canDelete()) actions.push(['Delete', 'delete', 'danger']);
    return actions;
  }
}

function cell(row, text, className) {
  // data-label: the column name shown beside the value when the table is laid out as cards (phones).
  // The value sits in one element, so the card layout has exactly two grid items: label and value.
  const value = el('div', { className: 'value', text });
  const td = el('td', { dataset: { label: COLUMNS[row.children.length] } }, [value]);
  if (className) td.className = className;
  row.append(td);
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
