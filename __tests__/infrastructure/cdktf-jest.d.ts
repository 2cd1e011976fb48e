// Types of the cdktf jest matchers that __tests__/setup.ts installs (Testing.setupJest()).
import 'cdktf/lib/testing/adapters/jest';
