// The instance's own MySQL parameters. Without one, RDS runs the default group
// of the family, where the slow query log is off: the `slowquery` CloudWatch
// export would ship an empty log, and the policy table's claim would be hollow.
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';

/** Every value has its reason; a reviewer changes them here, not in the console. */
export const DATABASE_PARAMETERS = {
  // Turns the slow query log on, which the `slowquery` export ships.
  slow_query_log: '1',
  // Seconds. The handler runs single-row statements on a primary key, so
  // anything slower than a second is a problem worth a log line.
  long_query_time: '1',
  // The CloudWatch export reads the log files; TABLE would leave them empty.
  log_output: 'FILE',
  // Plaintext refused at the instance too, not only at the proxy (require_tls):
  // whatever reaches 3306 directly (db:bootstrap, an operator) must use TLS.
  require_secure_transport: '1',
  // LOAD DATA LOCAL lets a server ask the client for any file it can read;
  // nothing here loads files.
  local_infile: '0',
} as const;

/**
 * What each CloudWatch log export needs from the parameters before it carries
 * anything. MySQL always writes its error log; the slow query and general
 * logs are off by default, and only FILE output reaches the export.
 */
export const EXPORT_REQUIRES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  error: {},
  slowquery: { slow_query_log: '1', log_output: 'FILE' },
  general: { general_log: '1', log_output: 'FILE' },
  // `audit` is absent on purpose: it needs an option group with the audit
  // plugin, which no parameter provides, so claiming it fails the tests.
};

/** `8.4` / `8.4.3` -> `mysql8.4`; `8.0.x` -> `mysql8.0` (the family must match the engine's major version). */
export function parameterGroupFamily(engineVersion: string): string {
  const [major, minor] = engineVersion.split('.');
  return `mysql${major}.${minor}`;
}

export interface ParameterGroupProps {
  namePrefix: string;
  engineVersion: string;
}

export class ParameterGroup extends Construct {
  public readonly parameterGroup: DbParameterGroup;
  public readonly name: string;
  public readonly family: string;

  constructor(scope: Construct, id: string, props: ParameterGroupProps) {
    super(scope, id);
    this.family = parameterGroupFamily(props.engineVersion);
    this.parameterGroup = new DbParameterGroup(this, 'parameter-group', {
      // The family is in the name, so a major upgrade creates the new group
      // beside the old one (create_before_destroy) instead of colliding.
      name: `${props.namePrefix}${NameSuffix.parameterGroup}${this.family.slice('mysql'.length).replace('.', '-')}`,
      family: this.family,
      description: `${props.namePrefix}: slow query log, TLS only`,
      parameter: Object.entries(DATABASE_PARAMETERS).map(([name, value]) => ({ name, value, applyMethod: 'immediate' })),
      lifecycle: { createBeforeDestroy: true },
    });
    this.name = this.parameterGroup.name;
  }
}
