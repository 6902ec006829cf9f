// The credential form, built from GET {prefix}/providers: the JSON Schema the admin API validates the PUT
// body with, so the form's fields, required marks and choices cannot drift from what the server accepts.
import { $, el } from './dom.js';

const PARTS = ['config', 'secrets'];

export class CredentialsForm {
  /** Provider id → its description from GET /providers (JSON Schema of config and secrets). */
  providers = new Map();

  setProviders(list) {
    this.providers = new Map(list.map((p) => [p.provider, p]));
    const select = $('provider');
    const chosen = select.value;
    select.replaceChildren(
      ...list.map((p) => el('option', { value: p.provider, text: p.title || p.provider })),
    );
    if (this.providers.has(chosen)) select.value = chosen;
    this.build();
  }

  get provider() {
    return $('provider').value;
  }

  title(provider) {
    return this.providers.get(provider)?.title || provider;
  }

  build() {
    const schema = this.providers.get(this.provider);
    $('provider-help').textContent = (schema && schema.description) || '';
    buildPart('config', schema && schema.config, $('config-fields'));
    buildPart('secrets', schema && schema.secrets, $('secrets-fields'));
    this.updateConditions();
    this.markProblems([]);
  }

  /**
   * Shows only the fields that apply to the settings chosen now: a field `x-shownWhen` another field holds
   * one of some values (DocuSign's "Login hint" for jwt only), or `x-requiredWhen` (then also marked required).
   */
  updateConditions() {
    const schema = this.providers.get(this.provider);
    if (!schema || !schema.config) return;
    const values = {};
    for (const node of document.querySelectorAll('#config-fields select')) {
      values[node.dataset.name] = node.value;
      values[`config.${node.dataset.name}`] = node.value;
    }
    for (const part of PARTS) {
      for (const [name, field] of Object.entries(schema[part].properties)) {
        const shown = holds(field['x-shownWhen'], values);
        const required = holds(field['x-requiredWhen'], values);
        const wrapper = document.querySelector(`[data-field="${part}.${name}"]`);
        wrapper.hidden = shown === false || required === false;
        if (required !== null) wrapper.querySelector('.required-mark').hidden = !required;
      }
    }
  }

  /** The PUT body: the visible fields that hold a value (a hidden field belongs to another grant). */
  read() {
    const schema = this.providers.get(this.provider);
    const body = {};
    for (const part of PARTS) body[part] = readPart(part, schema && schema[part]);
    return body;
  }

  /** The label a person sees for an API path such as `secrets.privateKey`; the path when no field has it. */
  labelOf(path) {
    const [part, name] = String(path).split('.', 2);
    const field = this.providers.get(this.provider)?.[part]?.properties?.[name];
    return field ? field.title || name : path;
  }

  /** Marks each problem beside its field; returns them with their labels, for the summary by the button. */
  markProblems(problems) {
    for (const node of document.querySelectorAll('#credentials-form .field-error')) {
      node.hidden = true;
      node.textContent = '';
    }
    for (const node of document.querySelectorAll('#credentials-form [aria-invalid]')) {
      node.removeAttribute('aria-invalid');
    }
    return problems.map((problem) => {
      const wrapper = document.querySelector(`[data-field="${CSS.escape(String(problem.field))}"]`);
      const input = wrapper && wrapper.querySelector('[data-name]');
      if (input) {
        const note = wrapper.querySelector('.field-error');
        note.textContent = problem.message;
        note.hidden = false;
        input.setAttribute('aria-invalid', 'true');
      }
      return {
        label: this.labelOf(problem.field),
        message: problem.message,
        fieldId: input ? input.id : undefined,
      };
    });
  }

  clearSecrets() {
    for (const node of document.querySelectorAll('#secrets-fields input, #secrets-fields textarea')) {
      node.value = node.classList.contains('json') ? '{}' : '';
    }
  }
}

/** true/false whether a condition `{ field: [values] }` holds for `values`; null without a condition. */
function holds(condition, values) {
  if (!condition) return null;
  return Object.entries(condition).some(([path, allowed]) => allowed.includes(values[path]));
}

function fieldInput(part, name, field, describedBy) {
  const id = `f-${part}-${name}`;
  const common = { id, name: `${part}.${name}`, dataset: { part, name } };
  let input;
  if (field.enum) {
    input = el('select', common);
    // An optional choice with no default sends nothing unless picked (the server then applies its own).
    if (field.default === undefined) input.append(el('option', { value: '', text: '(default)' }));
    for (const value of field.enum) input.append(el('option', { value, text: value }));
    if (field.default !== undefined) input.value = String(field.default);
  } else if (field.type === 'boolean') {
    input = el('input', { ...common, type: 'checkbox', checked: field.default === true });
  } else if (field['x-multiline']) {
    input = el('textarea', {
      ...common,
      rows: 5,
      spellcheck: false,
      autocomplete: 'off',
      className: 'secret',
    });
  } else {
    input = el('input', {
      ...common,
      type: field.writeOnly ? 'password' : 'text',
      autocomplete: field.writeOnly ? 'new-password' : 'off',
      spellcheck: false,
    });
    if (field.type === 'array')
      input.placeholder = field.format === 'uri' ? 'https://… (space-separated)' : 'space-separated';
    else if (field.format === 'uri') input.placeholder = 'https://…';
  }
  if (describedBy.length > 0) input.setAttribute('aria-describedby', describedBy.join(' '));
  return input;
}

function buildPart(part, schema, container) {
  container.querySelectorAll('.field').forEach((node) => node.remove());
  if (!schema) {
    // A custom strategy without a description: a JSON object, as the API takes it.
    container.append(
      el('div', { className: 'field', dataset: { field: part } }, [
        el('label', {
          htmlFor: `json-${part}`,
          text: `${part === 'config' ? 'Settings' : 'Secrets'} (JSON object)`,
        }),
        el('textarea', {
          id: `json-${part}`,
          className: 'json',
          rows: 4,
          spellcheck: false,
          value: '{}',
          dataset: { name: part },
        }),
        el('p', { className: 'field-error', hidden: true }),
      ]),
    );
    return;
  }
  for (const [name, field] of Object.entries(schema.properties)) {
    const helpId = `h-${part}-${name}`;
    const errorId = `e-${part}-${name}`;
    const input = fieldInput(part, name, field, field.description ? [helpId, errorId] : [errorId]);
    const label = el('label', { htmlFor: input.id, text: field.title || name });
    const mark = el('span', { className: 'required-mark', text: ' *', title: 'required' });
    mark.hidden = !schema.required.includes(name);
    label.append(mark);
    const checkbox = field.type === 'boolean';
    const wrapper = el('div', { className: 'field', dataset: { field: `${part}.${name}` } }, [
      checkbox ? el('div', { className: 'check' }, [input, label]) : label,
      checkbox ? null : input,
      field.description ? el('p', { id: helpId, className: 'hint', text: field.description }) : null,
      el('p', { id: errorId, className: 'field-error', hidden: true }),
    ]);
    container.append(wrapper);
  }
}

function readPart(part, schema) {
  if (!schema) {
    try {
      const value = JSON.parse($(`json-${part}`).value || '{}');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
      return value;
    } catch {
      const error = new Error('not a JSON object');
      error.problems = [{ field: part, message: 'must be a JSON object' }];
      throw error;
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
