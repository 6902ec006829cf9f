// The admin API client of the page. The API prefix is read from the page's own address
// (`/{prefix}/connect/`), so the page works under any route prefix or global prefix without a build step.

export const API_PREFIX = location.pathname.replace(/\/connect\/(index\.html)?$/, '');

export class ApiError extends Error {
  constructor(message, status, problems = []) {
    super(message);
    this.status = status;
    this.problems = problems;
  }
}

/**
 * `request(method, path, body)` with `Authorization: Bearer <getToken()>`. A 401 calls `onUnauthorized`
 * (sign out, or "this link has expired") before it is thrown.
 */
export function createApi(getToken, onUnauthorized) {
  return async function request(method, path, body, token = getToken()) {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(API_PREFIX + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError('The server could not be reached: check your connection and try again.', 0);
    }
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.ok) return data;
    const problems = data && Array.isArray(data.errors) ? data.errors : [];
    const message =
      (data && typeof data.message === 'string' && data.message) || `The server answered ${res.status}`;
    const error = new ApiError(message, res.status, problems);
    if (res.status === 401) onUnauthorized(error);
    throw error;
  };
}
