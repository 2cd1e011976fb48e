// Shared helpers for the infrastructure specs: synthesize one environment with
// fixed build fixtures (so hashes and snapshots do not move when the handler
// changes), and read resources and policies back out of the JSON.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from '../../src/infrastructure/cdk';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import type { EnvironmentInput, EnvironmentsInput } from '../../src/infrastructure/config/types';
import type { PipelineVariables } from '../../src/infrastructure/config/state-backend';
import { ConfigError } from '../../src/infrastructure/errors';
import { GracefulShutdownStack } from '../../src/infrastructure/graceful-shutdown-stack';
import type { PolicyStatement } from '../../src/infrastructure/policy';
import type { ShutdownMode } from '../../src/protocol/artifacts';

export interface Fixtures { handlerDir: string; layerDir: string }

let fixtures: Fixtures | undefined;

/** A stand-in dist/: same layout as the build's, fixed bytes. */
export function buildFixtures(): Fixtures {
  if (fixtures) return fixtures;
  const root = mkdtempSync(path.join(os.tmpdir(), 'infra-fixtures-'));
  const handlerDir = path.join(root, 'handler');
  const layerDir = path.join(root, 'layer');
  mkdirSync(handlerDir, { recursive: true });
  mkdirSync(path.join(layerDir, 'extensions'), { recursive: true });
  mkdirSync(path.join(layerDir, 'graceful-shutdown'), { recursive: true });
  writeFileSync(path.join(handlerDir, 'index.mjs'), 'export const handler = async () => ({ ok: true });\n');
  writeFileSync(path.join(layerDir, 'extensions', 'graceful-shutdown'), '#!/usr/bin/env node\nconsole.log("extension");\n');
  chmodSync(path.join(layerDir, 'extensions', 'graceful-shutdown'), 0o755);
  // The Managed Instances exec wrapper, at the path the build writes it.
  writeFileSync(path.join(layerDir, 'graceful-shutdown', 'exec-wrapper'), '#!/bin/sh\nexec "$@"\n');
  chmodSync(path.join(layerDir, 'graceful-shutdown', 'exec-wrapper'), 0o755);
  fixtures = { handlerDir, layerDir };
  return fixtures;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Synthesized {
  stack: GracefulShutdownStack;
  /** Testing.synth output: what the cdktf matchers take. */
  json: string;
  tf: Json;
}

/**
 * `variables`: the pipeline variables the config reads (TF_STATE_*); none by
 * default, so a developer's shell cannot change what a test synthesizes.
 */
export function synthEnvironment(
  name: string, input: EnvironmentInput, options: { shutdownMode?: ShutdownMode; variables?: Record<string, string> } = {},
): Synthesized {
  const [config] = resolveEnvironments({ [name]: input }, options.variables ?? {});
  const app = Testing.app();
  const stack = new GracefulShutdownStack(app, name, {
    config, ...(options.shutdownMode !== undefined ? { shutdownMode: options.shutdownMode } : {}), ...buildFixtures(),
  });
  const json = Testing.synth(stack);
  return { stack, json, tf: JSON.parse(json) };
}

/** All resources of one type, by logical name. */
export function resourcesOf(tf: Json, type: string): Record<string, Json> {
  return tf.resource?.[type] ?? {};
}

/** The single resource of a type (fails if there are 0 or several). */
export function onlyResource(tf: Json, type: string): Json {
  const all = Object.values(resourcesOf(tf, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The log group named `name`, with its logical id (stacks hold several: the function's, RDS's, the proxy's). */
export function logGroupNamed(tf: Json, name: string): { id: string; group: Json; ref: (attr: string) => string } {
  const groups = resourcesOf(tf, 'aws_cloudwatch_log_group');
  const id = Object.keys(groups).find((k) => groups[k].name === name);
  if (id === undefined) throw new Error(`no log group named ${name}; have ${Object.values(groups).map((g: Json) => g.name).join(', ')}`);
  return { id, group: groups[id], ref: (attr) => `\${aws_cloudwatch_log_group.${id}.${attr}}` };
}

/** The Terraform reference `${<type>.<name>.<attr>}` of the single resource of a type. */
export function ref(tf: Json, type: string, attr: string): string {
  const names = Object.keys(resourcesOf(tf, type));
  if (names.length !== 1) throw new Error(`expected exactly one ${type}, found ${names.length}`);
  return `\${${type}.${names[0]}.${attr}}`;
}

/** The statements of the inline policy attached to the role whose name ends with `roleSuffix`. */
export function statementsOf(tf: Json, roleSuffix: string): PolicyStatement[] {
  const roles = resourcesOf(tf, 'aws_iam_role');
  const roleKey = Object.keys(roles).find((k) => String(roles[k].name).endsWith(roleSuffix));
  if (!roleKey) throw new Error(`no role named *${roleSuffix}`);
  const policies = Object.values(resourcesOf(tf, 'aws_iam_role_policy')).filter((p: Json) => p.role === `\${aws_iam_role.${roleKey}.id}`);
  if (policies.length !== 1) throw new Error(`expected one inline policy on *${roleSuffix}, found ${policies.length}`);
  return parsePolicy(policies[0].policy).Statement;
}

/**
 * Parses a policy string as Terraform will see it after interpolation. A
 * `${...}` may hold HCL with its own quotes (split(":", ...)), so each one is
 * swapped for a placeholder, the JSON parsed, and the references put back.
 */
export function parsePolicy(text: string): { Version: string; Statement: PolicyStatement[] } {
  const refs: string[] = [];
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '$' && text[i + 1] === '{') {
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j += 1) {
        if (text[j] === '{') depth += 1;
        else if (text[j] === '}' && --depth === 0) break;
      }
      refs.push(text.slice(i, j + 1));
      out += `@@REF${refs.length - 1}@@`;
      i = j;
    } else out += text[i];
  }
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/@@REF(\d+)@@/g, (_m, n: string) => refs[Number(n)]);
    if (Array.isArray(v)) return v.map(restore);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)]));
    return v;
  };
  return restore(JSON.parse(out)) as { Version: string; Statement: PolicyStatement[] };
}

export const DEV_INPUT: EnvironmentInput = {
  region: 'eu-west-1',
  network: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
  logs: { retentionDays: 14 },
};

/** `${aws_security_group.<name>.id}` of the created group named `<prefix>-<key>`. */
export function sgRef(tf: Json, key: 'lambda' | 'proxy' | 'database'): string {
  const groups = resourcesOf(tf, 'aws_security_group');
  const name = Object.keys(groups).find((k) => String(groups[k].name).endsWith(`-${key}`));
  if (!name) throw new Error(`no ${key} security group`);
  return `\${aws_security_group.${name}.id}`;
}

/** Every security group rule, as [kind, rule]. */
export function sgRules(tf: Json): { kind: 'ingress' | 'egress'; rule: Json }[] {
  return [
    ...Object.values(resourcesOf(tf, 'aws_vpc_security_group_ingress_rule')).map((rule) => ({ kind: 'ingress' as const, rule })),
    ...Object.values(resourcesOf(tf, 'aws_vpc_security_group_egress_rule')).map((rule) => ({ kind: 'egress' as const, rule })),
  ];
}

export interface ReadEntry { name: string; data: Buffer; mode: number; dosTime: number; dosDate: number; crc: number }

/** Reads the central directory and each local entry (stored entries only, which is all the writer makes). */
export function readZip(zip: Buffer): ReadEntry[] {
  const end = zip.length - 22;
  if (zip.readUInt32LE(end) !== 0x06054b50) throw new Error('no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ReadEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`no central directory entry at ${at}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const size = zip.readUInt32LE(at + 24);
    const local = zip.readUInt32LE(at + 42);
    if (zip.readUInt16LE(at + 10) !== 0) throw new Error('not a stored entry');
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    entries.push({
      name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
      data: zip.subarray(dataStart, dataStart + size),
      mode: (zip.readUInt32LE(at + 38) >>> 16) & 0o777,
      dosTime: zip.readUInt16LE(at + 12),
      dosDate: zip.readUInt16LE(at + 14),
      crc: zip.readUInt32LE(at + 16),
    });
    at += 46 + nameLength;
  }
  return entries;
}

/**
 * What the synth says of these environments, one `path: message` per issue,
 * [] when they are valid. No pipeline variables unless given: a developer's
 * shell must not change a test.
 */
export function configIssues(inputs: EnvironmentsInput, variables: PipelineVariables = {}): string[] {
  try {
    resolveEnvironments(inputs, variables);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}
