import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { InvalidEncryptionKeysError } from './crypto.errors.js';
import { Keyring } from './keyring.js';
import { MALFORMED_KEY_ID, StoredKeyCensus, type StoredKeyCount } from './stored-key-census.js';
import { optionName } from '../common/option-names.js';

/** What the boot check found; shown in the health details. @internal */
export interface StoredKeyFindings {
  /** Key id → stored values under it that this keyring cannot decrypt. Empty when every key is present. */
  missingKeys: Record<string, number>;
  /** Values not in the ciphertext format at all. */
  malformedValues: number;
  /** The census failed (database error at boot): nothing is known. */
  unchecked?: string;
  /** The census is still counting (it runs after start unless `requireKeysForStoredValues` is on). */
  checking?: boolean;
}

/**
 * Keys at boot: counts stored values per key id and compares with the keyring, so a key removed too early
 * (or a replica deployed with the wrong list) is one clear warning at start, not a stream of failed refreshes.
 * With `requireKeysForStoredValues: true` the app refuses to start instead, so only then does start wait
 * for the count. Otherwise the count runs in the background once the module is initialised: it reads every
 * encrypted column of every row (2.6 s at a million rows, more under load: docs/scale.md), and a warning
 * a few seconds after start protects as much as one before it — the rows it warns about fail on their own
 * (poison-row handling, decision 014) whether or not the warning was out yet. Until it is done the health
 * details say `keysChecking`.
 * @internal
 */
@Injectable()
export class StoredKeyCheck implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SigningAuthKeys');
  findings: StoredKeyFindings = { missingKeys: {}, malformedValues: 0 };
  /** Settles when the census has reported (never rejects; a failure is in {@link findings}). */
  checked: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly census: StoredKeyCensus,
    private readonly keyring: Keyring,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.requireKeysForStoredValues) return this.check();
    this.findings = { missingKeys: {}, malformedValues: 0, checking: true };
    this.checked = this.check().catch(() => undefined);
  }

  /** A census still counting holds a pooled connection: let it finish before the pool is closed. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.checked;
  }

  private async check(): Promise<void> {
    let counts: StoredKeyCount[];
    try {
      counts = await this.census.count();
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      if (this.options.requireKeysForStoredValues) {
        throw new InvalidEncryptionKeysError(
          `signing-auth: requireKeysForStoredValues is on but the stored key ids could not be counted: ${reason}`,
        );
      }
      this.findings = { missingKeys: {}, malformedValues: 0, unchecked: reason };
      if (!this.stopped)
        this.logger.warn(`Could not count stored values per encryption key id at start: ${reason}`);
      return;
    }
    this.findings = this.compare(counts);
    const missing = Object.keys(this.findings.missingKeys);
    if (this.findings.malformedValues > 0) {
      this.logger.warn(
        `${this.findings.malformedValues} stored values are not in the signing-auth ciphertext format; ` +
          'their connections cannot be used until re-authorized.',
      );
    }
    if (missing.length === 0) return;
    const message =
      `Stored secrets use encryption key ids that encryptionKeys does not hold: ${describe(counts, missing)}. ` +
      `Their connections cannot be used or refreshed by this process. Add the key(s) back to ${optionName('encryptionKeys')} ` +
      '(they may stay inactive: activeKeyId picks the key that encrypts), or re-authorize those connections.';
    if (this.options.requireKeysForStoredValues) {
      throw new InvalidEncryptionKeysError(
        `signing-auth: ${message} (refused: requireKeysForStoredValues is on)`,
      );
    }
    this.logger.warn(`${message} Set requireKeysForStoredValues: true to refuse to start instead.`);
  }

  private compare(counts: StoredKeyCount[]): StoredKeyFindings {
    const findings: StoredKeyFindings = { missingKeys: {}, malformedValues: 0 };
    for (const { keyId, values } of counts) {
      if (keyId === MALFORMED_KEY_ID) findings.malformedValues += values;
      else if (!this.keyring.get(keyId))
        findings.missingKeys[keyId] = (findings.missingKeys[keyId] ?? 0) + values;
    }
    return findings;
  }
}

/** `"k0": 12 values (signing_auth_connections 11, signing_auth_pending_authorizations 1)` */
function describe(counts: StoredKeyCount[], missing: string[]): string {
  return missing
    .map((keyId) => {
      const rows = counts.filter((c) => c.keyId === keyId);
      const total = rows.reduce((sum, c) => sum + c.values, 0);
      return `"${keyId}": ${total} values (${rows.map((c) => `${c.table} ${c.values}`).join(', ')})`;
    })
    .join('; ');
}
