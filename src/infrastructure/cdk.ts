// The one door to CDKTF's core. CDKTF was archived on 2025-12-10; its drop-in
// fork CDK Terrain (`cdktn`) keeps the same API, so a migration changes this
// file's import and the provider deep imports listed in docs/adoption.md,
// nothing else. __tests__/infrastructure/import-boundary.test.ts keeps it so.
export {
  App, DataResource, Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack, Testing, Token,
} from 'cdktf';
export type { TerraformResource } from 'cdktf';
export { Construct } from 'constructs';
