// A real OpenID provider for the tests and for `make run OIDC=1`: the OpenID-certified
// `oidc-provider` from npm (installed into .run/node by `make setup`), with its development
// sign-in form. Anyone signs in with an e-mail address as the login (any password): the address
// becomes their subject and their verified e-mail claim. A login "unverified:<address>" gives an
// address the provider says it did NOT verify. Never for production: it vouches for anyone.
//
// Environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (comma-separated),
// OIDC_POST_LOGOUT_URIS (comma-separated, optional), OIDC_MODULE (the path of oidc-provider's lib/index.js).
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_MODULE).href);
const port = Number(process.env.OIDC_PORT);
const split = (value) => (value || '').split(',').filter(Boolean);

function nameOf(email) {
  return email.split('@')[0].split(/[._-]/).filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1)).join(' ');
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: split(process.env.OIDC_REDIRECT_URIS),
    post_logout_redirect_uris: split(process.env.OIDC_POST_LOGOUT_URIS),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(ctx, sub) {
    const verified = !sub.startsWith('unverified:');
    const email = sub.replace(/^unverified:/, '');
    return { accountId: sub, async claims() { return { sub, email, email_verified: verified, name: nameOf(email) }; } };
  },
  // a first-party client: no consent screen (the grant covers what the gateway asks)
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => console.log(`OpenID provider on http://127.0.0.1:${port}`));
