// Adds the CDKTF matchers (toHaveResourceWithProperties, toBeValidTerraform, ...) to every test file.
import { Testing } from 'cdktf';

Testing.setupJest();
