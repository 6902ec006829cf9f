// Tenant mode: the page opened at `…/connect/#session=<token>`. The token travels in the fragment (never
// sent to a server, never in an access log or a Referer); it moves into this tab's session storage at once
// and leaves the address bar, so it is not in the history, a bookmark or a shared screenshot.

export const SESSION_KEY = 'signingAuthConnectSession';

/** Moves `#session=<token>` into session storage; returns whether the page holds a session token now. */
export function takeSessionFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('session');
  if (token) {
    sessionStorage.setItem(SESSION_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return Boolean(sessionStorage.getItem(SESSION_KEY));
}

export const sessionToken = () => sessionStorage.getItem(SESSION_KEY);

export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/**
 * When a host page opened this page as a popup, tells it the outcome: `{ type: 'signing-auth:connect',
 * tenantId, provider, status }` (plus `error` and `message` for a failure), posted ONLY to the origin of the
 * session's return URL, which the server accepted from `connect.returnUrlOrigins`. Without that origin
 * nothing is posted: a message to `*` could be read by whatever page opened this one. Returns whether it
 * posted.
 */
export function notifyOpener(session, outcome) {
  if (!window.opener || window.opener === window || !session || !session.returnOrigin) return false;
  const message = { type: 'signing-auth:connect', tenantId: session.tenantId, ...outcome };
  try {
    window.opener.postMessage(message, session.returnOrigin);
    return true;
  } catch {
    return false;
  }
}
