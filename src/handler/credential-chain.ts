// The SDK's credential chain (shared config files, SSO, web identity, the
// container and instance metadata endpoints), for where the environment holds
// no credentials. Lambda puts the function role's credentials in the
// environment, so on Lambda this never loads: the build writes it to a file
// of its own beside the handler (credential-chain.mjs) which the handler
// imports only on that path. Bundled in, its hundreds of KiB and the
// built-ins it imports would cost every cold start.
export { defaultProvider } from '@aws-sdk/credential-provider-node';
