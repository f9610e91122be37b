// The page the browser test loads: it asks graykit's OFREP endpoint for its
// flags through the OpenFeature web SDK and the OFREP web provider, exactly
// as an application's front end would, and shows each flag's variant.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const params = new URLSearchParams(location.search);
// flags=key or key:type, comma-separated; type is string (the default),
// boolean, number or object: the getter the application would call.
const flags = (params.get('flags') || '')
  .split(',')
  .filter(Boolean)
  .map((f) => {
    const [key, type = 'string'] = f.split(':');
    return { key, type };
  });
const defaults = { string: 'code-default', boolean: false, number: -1, object: {} };
const client = OpenFeature.getClient();
let changes = 0;

function details({ key, type }) {
  switch (type) {
    case 'boolean':
      return client.getBooleanDetails(key, defaults.boolean);
    case 'number':
      return client.getNumberDetails(key, defaults.number);
    case 'object':
      return client.getObjectDetails(key, defaults.object);
  }
  return client.getStringDetails(key, defaults.string);
}

function render() {
  const list = document.getElementById('flags');
  list.replaceChildren(
    ...flags.map((flag) => {
      const d = details(flag);
      const li = document.createElement('li');
      li.id = 'flag-' + flag.key;
      li.dataset.reason = d.reason || '';
      li.dataset.error = d.errorCode || '';
      li.dataset.value = JSON.stringify(d.value);
      li.textContent = d.errorCode ? 'code-default' : d.variant;
      return li;
    }),
  );
  document.getElementById('changes').textContent = String(changes);
}

// asUser signs the page in as uid (the cookie the server keys on) and tells
// OpenFeature, which fetches that user's flags; it returns what the page
// then shows.
window.asUser = async (uid) => {
  document.cookie = 'uid=' + encodeURIComponent(uid) + '; path=/';
  await OpenFeature.setContext({ targetingKey: uid });
  render();
  return Object.fromEntries(
    flags.map(({ key }) => {
      const li = document.getElementById('flag-' + key);
      return [key, { variant: li.textContent, value: li.dataset.value, error: li.dataset.error }];
    }),
  );
};

// apiVariants is what the server's own handlers decide for the same
// request: gray.Variant behind the same middleware.
window.apiVariants = async () => (await fetch('/api/variants', { method: 'POST' })).json();

async function main() {
  const uid = params.get('uid') || '';
  if (uid) document.cookie = 'uid=' + encodeURIComponent(uid) + '; path=/';
  client.addHandler(ProviderEvents.ConfigurationChanged, () => {
    changes++;
    render();
  });
  await OpenFeature.setProviderAndWait(
    new OFREPWebProvider({
      // base: an OFREP server on another origin, called with the cookies
      // (credentials) that identify the user.
      baseUrl: params.get('base') || location.origin,
      fetchImplementation: params.get('base')
        ? (req, init) => fetch(req, { ...init, credentials: 'include' })
        : undefined,
      pollInterval: Number(params.get('poll') || 0),
      cacheMode: 'disabled',
      disableVisibilityRefresh: true,
    }),
    { targetingKey: uid },
  );
  render();
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  document.body.dataset.error = String(err);
});
