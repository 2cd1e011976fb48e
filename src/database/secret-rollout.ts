// A new password for the function user, when its secret is what the proxy
// reads. The order keeps the proxy's view and the database in step:
//   1. inspect the secret (read only) and decide whether a password is due;
//   2. stage the new value as an AWSPENDING version (after proving the
//      promotion will be allowed): AWSCURRENT, what the proxy reads, is
//      unchanged, and nothing in the database has changed yet;
//   3. the caller runs CREATE/ALTER USER; if that fails, AWSCURRENT still
//      holds the password the user still has;
//   4. promote: AWSCURRENT moves to the staged version.
// If step 4 fails, the previous password is restored whenever AWSCURRENT
// still holds one the proxy was using for this user, so the proxy keeps
// working; otherwise (no such password existed) the error says exactly which
// version holds the new password and how to finish.
import { describeCause, BootstrapError, SecretStoreError } from './errors';
import type { Credential } from './options';
import { storedUser, type SecretSnapshot, type SecretStore } from './secret-store';

type SecretCredential = Extract<Credential, { kind: 'secret' }>;

/** A failure before anything was written: said so, so the operator knows a retry is safe. */
function untouched(error: unknown, account: string): never {
  if (!(error instanceof BootstrapError)) throw error;
  throw new BootstrapError(`${error.message}\n  nothing was changed: ${account} and the secret's AWSCURRENT value are as they were`,
    { cause: error, context: error.context });
}

export class SecretRollout {
  private constructor(
    private readonly store: SecretStore,
    private readonly snapshot: SecretSnapshot,
    private readonly user: string,
    private readonly account: string,
    /** The user existed before the run (its password, not a new user's, is what a restore puts back). */
    private readonly userExisted: boolean,
    /** Set when a new password is due: the password, why, and the staged version holding it. */
    readonly next: { readonly password: string; readonly reason: string; readonly versionId: string } | undefined,
  ) {}

  /** Steps 1 and 2. Throws, with nothing changed anywhere, when the secret is missing, misplaced, unreadable or unwritable. */
  static async prepare(
    store: SecretStore, credential: SecretCredential, user: string, account: string, userExists: boolean, randomPassword: () => string,
  ): Promise<SecretRollout> {
    const snapshot = await store.inspect(credential.secretId, credential.expected).catch((error: unknown) => untouched(error, account));
    const stored = storedUser(snapshot);
    let reason: string | undefined;
    if (!userExists) reason = 'a new user';
    else if (credential.rotate) reason = '--rotate-password';
    else if (!stored) reason = 'the secret had no value';
    else if (snapshot.current?.unfinished) reason = 'an earlier run stopped before its new password became the secret\'s current value';
    else if (stored.username !== user) reason = `the secret named user "${stored.username}"`;
    if (reason === undefined) return new SecretRollout(store, snapshot, user, account, userExists, undefined);

    const password = randomPassword();
    const versionId = await store.stage(snapshot, { username: user, password }).catch((error: unknown) => untouched(error, account));
    return new SecretRollout(store, snapshot, user, account, userExists, { password, reason, versionId });
  }

  get arn(): string { return this.snapshot.arn; }

  /** Step 4, after the database took `next.password`. `restore` sets the user's password back (an ALTER USER). */
  async promote(restore: (password: string) => Promise<void>): Promise<void> {
    const next = this.next;
    if (!next) return;
    const { arn, current } = this.snapshot;
    try {
      await this.store.promote(this.snapshot, next.versionId);
    } catch (cause) {
      const previous = storedUser(this.snapshot);
      const proxyUsedPrevious = this.userExisted && previous !== undefined && previous.username === this.user && !current?.unfinished;
      if (!proxyUsedPrevious) throw this.stranded(cause);
      try {
        await restore(previous.password);
      } catch (restoreCause) {
        throw this.stranded(cause, restoreCause);
      }
      throw new SecretStoreError(arn, `the new password could not be made current (${describeCause(cause)}); the previous password of ${this.account},`
        + ` which AWSCURRENT (version ${current?.versionId}) still holds, was set back, so the proxy keeps logging in.`
        + ` Left behind: version ${next.versionId}, labelled AWSPENDING, unused`, cause);
    }
    try {
      await this.store.settle(this.snapshot, next.versionId);
    } catch (cause) {
      throw new SecretStoreError(arn, `the new password of ${this.account} is set and AWSCURRENT (version ${next.versionId}) holds it,`
        + ' but its AWSPENDING label could not be removed; harmless, except that the next run will set a new password again', cause);
    }
  }

  /** The exact state when the new password is set but AWSCURRENT does not hold it, and how to finish. */
  private stranded(cause: unknown, restoreCause?: unknown): SecretStoreError {
    const { arn, current } = this.snapshot;
    const versionId = this.next!.versionId;
    const finish = `aws secretsmanager update-secret-version-stage --secret-id ${arn} --version-stage AWSCURRENT --move-to-version-id ${versionId}`
      + (current ? ` --remove-from-version-id ${current.versionId}` : '');
    return new SecretStoreError(arn, `${this.account} has its new password, but making it current failed (${describeCause(cause)})`
      + (restoreCause === undefined ? '' : ` and setting the previous password back failed too (${describeCause(restoreCause)})`)
      + `. The new password is in version ${versionId} (AWSPENDING); AWSCURRENT is ${current ? `still version ${current.versionId}, whose password the user no longer has` : 'unset'}.`
      + ` Finish with: ${finish}; or run this command again with --rotate-password`, cause);
  }
}
