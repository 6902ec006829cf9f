// Small DOM helpers. Everything shown is set with textContent, never innerHTML, so a tenant id, an error
// message or a provider's answer cannot inject markup.

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node[key] = value;
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/**
 * Puts the outcome of an action into `box`, the live region beside the control that started it, coloured
 * by `kind` (success, warning, error, info). `problems` ({ label, message, fieldId }) become a list whose
 * labels move the focus to their field. With `focus`, the box is scrolled into view and focused, so a
 * person sees it where they are looking and a screen reader reads it.
 */
export function showOutcome(box, kind, text, { problems = [], focus = true, after = [] } = {}) {
  setKind(box, kind);
  const children = [el('p', { className: 'outcome-text', text })];
  if (problems.length > 0) {
    children.push(
      el(
        'ul',
        { className: 'problems' },
        problems.map((problem) => {
          const label = problem.fieldId
            ? el('a', {
                href: `#${problem.fieldId}`,
                text: problem.label,
                dataset: { focus: problem.fieldId },
              })
            : el('strong', { text: problem.label });
          return el('li', {}, [label, `: ${problem.message}`]);
        }),
      ),
    );
  }
  box.replaceChildren(...children, ...after);
  if (focus) {
    box.scrollIntoView({ block: 'nearest' });
    box.focus({ preventScroll: true });
  }
}

export function clearOutcome(box) {
  setKind(box, undefined);
  box.replaceChildren();
}

/** The colour class of an outcome box; its other classes (`row-outcome`) stay. */
function setKind(box, kind) {
  for (const name of [...box.classList]) if (name.startsWith('outcome-')) box.classList.remove(name);
  if (kind) {
    box.classList.add(`outcome-${kind}`);
    box.dataset.kind = kind;
  } else delete box.dataset.kind;
}

// A problem's label focuses its field instead of changing the address (which holds nothing else).
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-focus]');
  if (!link) return;
  event.preventDefault();
  const field = document.getElementById(link.dataset.focus);
  if (field) {
    field.scrollIntoView({ block: 'center' });
    field.focus();
  }
});

/**
 * "2026-12-02 10:41 UTC (in 59 min)". Within a minute of now it reads "just now" (a moment that has passed,
 * or a clock a second apart) or "in under a minute"; never "in 0 min".
 */
export function formatTime(iso, { past = false } = {}) {
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

/** Only http(s) URLs become links: a `javascript:` URL from anywhere never does. */
export function safeHttpUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
