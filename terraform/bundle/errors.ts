import { AgentplaneError } from '../../shared/errors.ts';

/**
 * Errors of the bundle CLIs, in the codebase's one convention (a stable lower-case `code`), plus the
 * exit code the CLI ends with: 1 = the bundle does not verify, 2 = the tool was not given what it needs.
 */
export class BundleError extends AgentplaneError {
  readonly exitCode: 1 | 2;
  constructor(code: string, message: string, exitCode: 1 | 2) {
    super(code, message);
    this.exitCode = exitCode;
  }
}

/** No key, an unreadable key file, or key material that is not an Ed25519 key of the kind needed. */
export class BundleKeyError extends BundleError {
  constructor(message: string) {
    super('bundle_key_invalid', message, 2);
  }
}

/** A file the bundle may not contain (a symbolic link could point a signed name at unsigned content). */
export class BundleFileError extends BundleError {
  constructor(message: string) {
    super('bundle_file_rejected', message, 2);
  }
}

/** The signature or a file does not match: the bundle must not be deployed. */
export class BundleVerifyError extends BundleError {
  constructor(message: string) {
    super('bundle_not_verified', message, 1);
  }
}
