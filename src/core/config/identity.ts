/**
 * The extension's stable identity, so IT can address it in enterprise policy (docs/deploy.md).
 *
 * `MANIFEST_KEY` is the public half of an RSA-2048 key generated once for this project; Chrome
 * derives the extension ID from it when it appears as `key` in the manifest. The private half was
 * never kept: it would only matter for signing a CRX for the Chrome Web Store, and force-installed
 * or unpacked builds are identified by this public key alone.
 */

/** Base64 DER SubjectPublicKeyInfo, the manifest's `key`. */
export const MANIFEST_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmcUwdYmkm9My85ntObTMIb5ZDzvLenFo6N5E7/NnshdOYPGULjO/RoO9cMNXlTUYhZjfH7wdQIyyyTO/glSKV35GPnecbfI+TBkUwe8vzl77IUj3tA9rKJbJeI/X+5S/8vtkvcJ2C/kxJuuGeuaInE5yqmPUDv4kxj0ovKpOJwC05QFLmY6dbdJJmDWNYmPBSUgD2EtbNBCuH2d5kGj2crQN0rB6VmjhPnhEVJkUmPL6SXxhyVHrNew0jepsQoddSyotHHs/K+e/KPiYSsHJXQVfQVnp6rLc9ek63pf5OC/jf1bItTemPk9ZFkIoNf44fxNyAH+A4oB33Wbz8FOzgwIDAQAB';

/** Chrome/Edge extension ID derived from `MANIFEST_KEY` (see identity.test.ts for the derivation). */
export const EXTENSION_ID = 'oehdkifpmnafbohmdnepaejfhblaadca';

/** Firefox add-on ID (`browser_specific_settings.gecko.id`). */
export const GECKO_ID = 'ai-geofence@bank.example';

/** Default Chrome/Edge update manifest for force-install; a placeholder IT replaces with its own host. */
export const DEFAULT_UPDATE_URL = 'https://extensions.bank.example/ai-geofence/updates.xml';

/** Default Firefox install URL for the signed .xpi; a placeholder IT replaces with its own host. */
export const DEFAULT_FIREFOX_INSTALL_URL = 'https://extensions.bank.example/ai-geofence/ai-geofence.xpi';
