// The database's parameter group and the log groups RDS and RDS Proxy write
// to: every claimed log export is backed by a parameter that produces it, and
// every log group the services write to exists in state first, with the
// stack's retention and key.
import { environments } from '../../src/infrastructure/config/environments';
import { DATABASE_LOG_EXPORTS } from '../../src/infrastructure/database';
import { DATABASE_PARAMETERS, EXPORT_REQUIRES, parameterGroupFamily } from '../../src/infrastructure/parameter-group';
import { DEV_INPUT, logGroupNamed, onlyResource, ref, resourcesOf, synthEnvironment, type Json } from './support';

const dev = synthEnvironment('dev', environments.dev);
const prod = synthEnvironment('prod', environments.prod);
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';

const parametersOf = (tf: Json): Record<string, string> =>
  Object.fromEntries(onlyResource(tf, 'aws_db_parameter_group').parameter.map((p: Json) => [p.name, p.value]));

describe('the database parameter group', () => {
  it('is the instance\'s parameter group, in the family of its engine version (mysql8.4 for 8.4)', () => {
    const group = onlyResource(dev.tf, 'aws_db_parameter_group');
    expect(group).toMatchObject({ family: 'mysql8.4', name: 'graceful-shutdown-dev-mysql8-4' });
    expect(onlyResource(dev.tf, 'aws_db_instance').parameter_group_name).toBe(ref(dev.tf, 'aws_db_parameter_group', 'name'));
  });

  it('derives the family from the major and minor version', () => {
    expect(['8.4', '8.4.3', '8.0.39'].map(parameterGroupFamily)).toEqual(['mysql8.4', 'mysql8.4', 'mysql8.0']);
    const eight = synthEnvironment('eight', { ...DEV_INPUT, database: { engineVersion: '8.0.39' } });
    expect(onlyResource(eight.tf, 'aws_db_parameter_group')).toMatchObject({ family: 'mysql8.0', name: 'graceful-shutdown-eight-mysql8-0' });
  });

  it('turns the slow query log on, into files, so the slowquery export has something to ship', () => {
    expect(onlyResource(dev.tf, 'aws_db_instance').enabled_cloudwatch_logs_exports).toContain('slowquery');
    expect(parametersOf(dev.tf)).toMatchObject({ slow_query_log: '1', log_output: 'FILE', long_query_time: '1' });
  });

  it('makes every export the instance claims real: each one\'s required parameters are set', () => {
    for (const [name, s] of [['dev', dev], ['prod', prod]] as const) {
      const parameters = parametersOf(s.tf);
      for (const exported of onlyResource(s.tf, 'aws_db_instance').enabled_cloudwatch_logs_exports as string[]) {
        expect({ name, exported, known: exported in EXPORT_REQUIRES }).toEqual({ name, exported, known: true });
        expect({ name, exported, parameters }).toEqual({ name, exported, parameters: expect.objectContaining(EXPORT_REQUIRES[exported]) });
      }
    }
    expect(DATABASE_LOG_EXPORTS).toContain('slowquery');
  });

  it('requires TLS at the instance and disables LOAD DATA LOCAL', () => {
    expect(parametersOf(prod.tf)).toMatchObject({ require_secure_transport: '1', local_infile: '0' });
  });

  it('sets exactly the documented parameters, applied immediately (all are dynamic)', () => {
    const group = onlyResource(prod.tf, 'aws_db_parameter_group');
    expect(parametersOf(prod.tf)).toEqual(DATABASE_PARAMETERS);
    for (const p of group.parameter) expect(p.apply_method).toBe('immediate');
  });

  it('is replaced before it is destroyed, so a family change never leaves the instance without a group', () => {
    expect(onlyResource(prod.tf, 'aws_db_parameter_group').lifecycle).toEqual({ create_before_destroy: true });
  });
});

describe('the log groups RDS and RDS Proxy write to', () => {
  const names = (tf: Json): string[] => Object.values(resourcesOf(tf, 'aws_cloudwatch_log_group')).map((g: Json) => g.name).sort();

  it('are created by the stack under the names the services use: one per export, and the proxy\'s (beside the function\'s and the flow logs\')', () => {
    expect(names(dev.tf)).toEqual([
      '/aws/lambda/graceful-shutdown-dev',
      '/aws/rds/instance/graceful-shutdown-dev/error',
      '/aws/rds/instance/graceful-shutdown-dev/slowquery',
      '/aws/rds/proxy/graceful-shutdown-dev',
      '/aws/vpc/flow-logs/graceful-shutdown-dev',
    ]);
    expect(onlyResource(dev.tf, 'aws_db_instance').identifier).toBe('graceful-shutdown-dev');
    expect(onlyResource(dev.tf, 'aws_db_proxy').name).toBe('graceful-shutdown-dev');
  });

  it('keep logs for the configured retention', () => {
    for (const name of names(prod.tf)) expect(logGroupNamed(prod.tf, name).group.retention_in_days).toBe(365);
  });

  it('are encrypted with logs.kmsKeyArn when it is set, and with the service key otherwise', () => {
    const keyed = synthEnvironment('keyed', { ...DEV_INPUT, logs: { retentionDays: 30, kmsKeyArn: KEY } });
    for (const name of names(keyed.tf)) expect(logGroupNamed(keyed.tf, name).group.kms_key_id).toBe(KEY);
    for (const name of names(dev.tf)) expect(logGroupNamed(dev.tf, name).group.kms_key_id).toBeUndefined();
  });

  it('exist before the instance and the proxy, so neither service creates them first', () => {
    const instance = onlyResource(dev.tf, 'aws_db_instance');
    expect(instance.depends_on).toEqual([
      `aws_cloudwatch_log_group.${logGroupNamed(dev.tf, '/aws/rds/instance/graceful-shutdown-dev/error').id}`,
      `aws_cloudwatch_log_group.${logGroupNamed(dev.tf, '/aws/rds/instance/graceful-shutdown-dev/slowquery').id}`,
    ]);
    expect(onlyResource(dev.tf, 'aws_db_proxy').depends_on).toEqual([
      `aws_cloudwatch_log_group.${logGroupNamed(dev.tf, '/aws/rds/proxy/graceful-shutdown-dev').id}`,
    ]);
  });

  it('are not created for an existing proxy, whose database and logs belong to its owner', () => {
    const byo = synthEnvironment('shared', {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0a1b2c3d4e5f67890', existingSubnetIds: ['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f'] },
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'shared.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0fedcba9876543210', dbUser: 'orders_lambda', dbName: 'orders', connectionBudget: 40,
      },
      function: { reservedConcurrency: 10, poolSize: 2 },
    });
    expect(names(byo.tf)).toEqual(['/aws/lambda/graceful-shutdown-shared']);
    expect(resourcesOf(byo.tf, 'aws_db_parameter_group')).toEqual({});
  });
});
