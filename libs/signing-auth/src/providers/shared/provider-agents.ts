import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from '../../network/network-policy.js';

/**
 * Idle keep-alive sockets are closed after this long: shorter than the 5 s keep-alive timeout of Node's
 * own servers (and the longer ones of most identity providers), so a pooled socket is seldom reused at
 * the instant the server closes it.
 */
const IDLE_SOCKET_MS = 4_000;

export interface AgentPair {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * Keep-alive agents for provider calls: a sweep sends thousands of token requests to a few hosts, and a
 * new TCP (and TLS) connection for each cost more CPU than everything else in a refresh.
 *
 * Tenant URLs get agents of their own whose every socket is opened through the network policy's checking
 * `lookup` (an IP literal is checked by the caller before the request is made): a pooled socket was
 * checked when it connected, and stays connected to that checked address whatever the name resolves to
 * later (DNS rebinding needs a new lookup, which is checked again). Operator-configured hosts share the
 * other pair, so a socket opened without the check never carries a tenant URL's request.
 * @internal
 */
export class ProviderAgents {
  private trusted?: AgentPair;
  private checked?: AgentPair;

  constructor(private readonly checkingLookup?: LookupFunction) {}

  /** The agent for `url`; `tenantUrl` requests go through the checked pool when there is a policy. */
  for(url: URL, tenantUrl: boolean): HttpAgent {
    const pair =
      tenantUrl && this.checkingLookup
        ? (this.checked ??= agents(this.checkingLookup))
        : (this.trusted ??= agents(undefined));
    return url.protocol === 'https:' ? pair.https : pair.http;
  }

  /** Both agents of the checked pool (every socket opened through the checking lookup). */
  checkedPair(): AgentPair {
    if (!this.checkingLookup) throw new Error('ProviderAgents: no checking lookup was given');
    return (this.checked ??= agents(this.checkingLookup));
  }

  /** Closes every pooled socket (tests, shutdown). */
  destroy(): void {
    for (const pair of [this.trusted, this.checked]) {
      pair?.http.destroy();
      pair?.https.destroy();
    }
    this.trusted = this.checked = undefined;
  }
}

function agents(lookup: LookupFunction | undefined): AgentPair {
  // `timeout` applies to sockets in the pool; a request in flight is bounded by the client's own timeout.
  const options = {
    keepAlive: true,
    timeout: IDLE_SOCKET_MS,
    scheduling: 'lifo' as const,
    ...(lookup ? { lookup } : {}),
  };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}
