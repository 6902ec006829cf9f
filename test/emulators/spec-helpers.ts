/** Tiny fetch wrappers for the emulator specs (and handy for other tests). */
import { randomBytes } from 'node:crypto';
import { pkceS256 } from './common.js';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: await readJson(res) };
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<JsonResponse> {
  const res = await fetch(url, { method, headers });
  return { status: res.status, headers: res.headers, body: await readJson(res) };
}

/** Follows nothing: returns the 302's Location parsed, or throws with the status. */
export async function authorizeRedirect(url: string, params: Record<string, string>): Promise<URL> {
  const res = await fetch(`${url}?${new URLSearchParams(params)}`, { redirect: 'manual' });
  await res.arrayBuffer();
  if (res.status !== 302) throw new Error(`expected 302, got ${res.status}`);
  return new URL(res.headers.get('location') ?? '');
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceS256(verifier) };
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return { text };
  }
}
