// The page the browser test loads: it asks graykit's OFREP endpoint for its
// flags through the OpenFeature web SDK and the OFREP web provider, exactly
// as an application's front end would, and shows each flag's variant.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const params = new URLSearchParams(location.search);
const flags = (params.get('flags') || '').split(',').filter(Boolean);
const client = OpenFeature.getClient();
let changes = 0;

function render() {
  const list = document.getElementById('flags');
  list.replaceChildren(
    ...flags.map((key) => {
      const d = client.getStringDetails(key, 'code-default');
      const li = document.createElement('li');
      li.id = 'flag-' + key;
      li.dataset.reason = d.reason || '';
      li.dataset.error = d.errorCode || '';
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
  return Object.fromEntries(flags.map((key) => [key, document.getElementById('flag-' + key).textContent]));
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
      baseUrl: location.origin,
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
