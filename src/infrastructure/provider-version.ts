// Terraform version constraints ("\>= 5.100.0, < 7.0.0"), read well enough to
// decide, before `terraform init`, whether a provider build on this machine can
// serve a stack. Terraform's own operators: =, !=, >, >=, <, <=, ~>.
import { VersionError } from './errors';

export type Version = readonly [number, number, number];

export interface Constraint {
  readonly operator: '=' | '!=' | '>' | '>=' | '<' | '<=' | '~>';
  readonly version: Version;
  /** How many parts were written: `~> 6.2` (2) and `~> 6.2.0` (3) mean different ranges. */
  readonly parts: number;
}

export function parseVersion(text: string): Version {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new VersionError(`"${text}" is not a version (expected e.g. 5.100.0)`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

export function formatVersion(version: Version): string {
  return version.join('.');
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export function parseConstraint(text: string): Constraint[] {
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const match = /^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$/.exec(part);
    if (!match) throw new VersionError(`"${part}" in the constraint "${text}" is not a Terraform version constraint`);
    return { operator: (match[1] ?? '=') as Constraint['operator'], version: parseVersion(match[2]), parts: match[2].split('.').length };
  });
}

export function satisfies(version: Version, constraints: readonly Constraint[]): boolean {
  return constraints.every(({ operator, version: bound, parts }) => {
    const order = compareVersions(version, bound);
    switch (operator) {
      case '=': return order === 0;
      case '!=': return order !== 0;
      case '>': return order > 0;
      case '>=': return order >= 0;
      case '<': return order < 0;
      case '<=': return order <= 0;
      case '~>': {
        // "~> 6.2" admits 6.x from 6.2; "~> 6.2.0" admits 6.2.x from 6.2.0.
        if (order < 0) return false;
        const fixed = Math.max(parts - 1, 1);
        return version.slice(0, fixed).every((n, i) => n === bound[i]);
      }
    }
  });
}

/** The lowest version a constraint admits, for a message such as "needs >= 6.25.0". */
export function lowerBound(constraints: readonly Constraint[]): Version | undefined {
  const floors = constraints.filter((c) => c.operator === '>=' || c.operator === '=' || c.operator === '~>' || c.operator === '>');
  return floors.map((c) => c.version).sort(compareVersions).at(-1);
}
