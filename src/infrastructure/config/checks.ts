// What every validator shares: how a bad value is reported (a `Fail` callback
// or a `Checker` that collects issues under an environment's path, values
// shown as the config wrote them) and the AWS identifier patterns that more
// than one validator checks. Imports nothing of the validators, so none of
// them imports another to reach these.
import type { ConfigIssue } from '../errors';

/** Records one issue: `field` is relative to the environment (`proxy.maxConnectionsPercent`). */
export type Fail = (field: string, message: string) => void;

/** A value as the config wrote it: strings quoted, anything else as is. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
export const SG_ID = /^sg-[0-9a-f]{8,17}$/;
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;

/** Collects issues under one environment's path prefix. */
export class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly prefix: string) {}

  fail(field: string, message: string): void {
    this.issues.push({ path: `${this.prefix}.${field}`, message });
  }

  int(field: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) this.fail(field, `must be an integer ${min}..${max}, got ${show(value)}`);
    return value;
  }

  match(field: string, value: string, pattern: RegExp, what: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) this.fail(field, `must be ${what}, got ${show(value)}`);
    return value;
  }

  oneOf<T>(field: string, value: T, allowed: readonly T[]): T {
    if (!allowed.includes(value)) this.fail(field, `must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
    return value;
  }

  bool(field: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${show(value)}`);
    return value as boolean;
  }
}
