/**
 * The headers of every Connect page response. The page holds an admin token or a connect-session token in
 * session storage, so it allows no inline script, no third-party origin, no framing by default, and is
 * never cached or sent as a Referer.
 * @internal
 */
export function connectPageHeaders(frameAncestors: readonly string[]): Record<string, string> {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'";
  const headers: Record<string, string> = {
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
      `form-action 'self'; base-uri 'none'; frame-ancestors ${ancestors}`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  // The older header for browsers without CSP level 2; it cannot list origins, so only with 'none'.
  if (frameAncestors.length === 0) headers['X-Frame-Options'] = 'DENY';
  return headers;
}

/**
 * `connect.frameAncestors` → its origins, each checked: `https://app.example.com` or `http://127.0.0.1:8080`,
 * nothing else (no path, no wildcard, no keyword), because each one is written into the CSP header as is.
 * @internal
 */
export function validateFrameAncestors(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new Error(
      'signing-auth: connect.frameAncestors must be a list of origins (e.g. ["https://app.example.com"]).',
    );
  }
  return value.map((entry: unknown, index) => {
    const origin = typeof entry === 'string' ? parseOrigin(entry) : undefined;
    if (!origin) {
      throw new Error(
        `signing-auth: connect.frameAncestors[${index}] must be an origin such as https://app.example.com ` +
          `(scheme, host and optional port; no path, no wildcard), got ${JSON.stringify(entry)}.`,
      );
    }
    return origin;
  });
}

function parseOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    // A DNS name or an IP literal; the URL parser lets `*` and other CSP-significant characters through.
    if (!/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) return undefined;
    // `new URL` normalises (lower-case host): a value equal to its own origin has no path, query, credentials
    // or fragment.
    return url.origin === text.replace(/\/$/, '').toLowerCase() ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
