import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { classifyAddress, type AddressKind } from './address-ranges.js';

/** Node's `lookup` option of `net.connect` / `http.request`. @internal */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** A tenant URL leads somewhere it may not. The message names the address kind, never the caller's data. @internal */
export class ForbiddenAddressError extends Error {
  override readonly name = 'ForbiddenAddressError';
  readonly code = 'EFORBIDDENADDRESS';

  constructor(
    readonly kind: Exclude<AddressKind, 'public'>,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Where tenant-supplied URLs may lead. Public addresses always; loopback in development mode or with
 * `allowPrivateNetworks`; other private, link-local and multicast addresses only with
 * `allowPrivateNetworks`; cloud metadata addresses never.
 *
 * The check runs twice: on save ({@link checkUrl}: the literal address, or every address the name resolves
 * to now) and at connection time ({@link lookup}, handed to `http.request`: the address the socket is
 * actually opened to), so a name that resolves to a public address at save time and to 10.0.0.5 later
 * (DNS rebinding) still cannot reach the private network.
 * @internal
 */
export class NetworkPolicy {
  constructor(
    private readonly settings: { developmentMode: boolean; allowPrivateNetworks: boolean },
    private readonly resolve: LookupFunction = dnsLookup as unknown as LookupFunction,
  ) {}

  /** Why `address` (an IP literal) may not be reached, or `undefined` when it may. */
  refusal(address: string): ForbiddenAddressError | undefined {
    const kind = classifyAddress(address);
    switch (kind) {
      case 'public':
        return undefined;
      case 'metadata':
        return new ForbiddenAddressError(
          kind,
          'resolves to a cloud metadata address, which is never allowed',
        );
      case 'loopback':
        if (this.settings.developmentMode || this.settings.allowPrivateNetworks) return undefined;
        return new ForbiddenAddressError(
          kind,
          'resolves to a loopback address; allowed only in development mode or with allowPrivateNetworks: true',
        );
      default:
        if (this.settings.allowPrivateNetworks) return undefined;
        return new ForbiddenAddressError(
          kind,
          'resolves to a private, link-local or multicast address; allowed only with allowPrivateNetworks: true',
        );
    }
  }

  /**
   * The save-time check of one URL: its literal address, or every address its host name resolves to.
   * A name that does not resolve is let through (the identity provider may not be reachable from here
   * yet); the connection-time check still guards it.
   */
  async checkUrl(url: string): Promise<ForbiddenAddressError | undefined> {
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return undefined; // the URL format is the validator's business
    }
    if (isIP(host)) return this.refusal(host);
    const addresses = await new Promise<LookupAddress[]>((resolve) =>
      this.resolve(host, { all: true }, (error, result) =>
        resolve(error || !Array.isArray(result) ? [] : result),
      ),
    );
    for (const { address } of addresses) {
      const refused = this.refusal(address);
      if (refused) return refused;
    }
    return undefined;
  }

  /**
   * A `lookup` for `http.request` that fails the connection when any address the name resolves to is
   * refused. (IP literals never reach a lookup: check them with {@link refusal} before connecting.)
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const list = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
      for (const entry of list) {
        const refused = this.refusal(entry.address);
        if (refused) return callback(refused as NodeJS.ErrnoException, address, family);
      }
      callback(null, address, family);
    });
  };
}
