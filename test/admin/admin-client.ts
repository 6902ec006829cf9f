/** A small fetch client for the admin API that records every response body (for the secret scan). */
export interface AdminResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export class AdminClient {
  readonly responses: string[] = [];

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; authorization?: string | null; accept?: string } = {},
  ): Promise<AdminResponse> {
    const headers: Record<string, string> = {};
    const authorization =
      options.authorization === undefined ? `Bearer ${this.token}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    if (options.accept) headers.accept = options.accept;
    let body: string | undefined;
    if ((options.raw !== undefined || options.body !== undefined) && method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      body = options.raw ?? JSON.stringify(options.body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    this.responses.push(text, JSON.stringify([...res.headers]));
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }
}
