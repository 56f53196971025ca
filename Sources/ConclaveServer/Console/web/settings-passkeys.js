// Passkeys: list (with the session that added each), add through the browser's WebAuthn
// ceremony (recent sign-in rule applies), remove.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { cleanName } from './text.js';
import { confirmDialog, describeError, errorBox } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';
import { withReauth } from './reauth.js';

const BASE = '/api/v1/auth/webauthn';

function addedBy(passkey, sessions) {
  if (!passkey.created_by_session) return 'not recorded';
  const session = sessions.find((s) => s.id === passkey.created_by_session);
  if (!session) return 'a session that has ended';
  return session.current ? 'this session' : `another session (${session.ip || 'unknown address'})`;
}

async function register(name) {
  // The proof (a password, when asked) of the options step is sent again with the answer.
  const { result: options, proof } = await withReauth((extra) => api('POST', `${BASE}/register/options`, extra));
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.create({ publicKey });
  return api('POST', `${BASE}/register/verify`, { ...credential.toJSON(), name: name || null, ...proof });
}

export async function renderPasskeys(box, sessions) {
  const passkeys = await listAll(`${BASE}/credentials`);
  const name = h('input', { name: 'name', id: 'passkey-name', maxlength: 64, autocomplete: 'off', placeholder: 'Passkey' });
  const errors = errorBox();
  const rerender = () => renderPasskeys(box, sessions);
  const supported = !!window.PublicKeyCredential?.parseCreationOptionsFromJSON;
  const form = h('form', { class: 'inline-form', 'aria-label': 'Add a passkey', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      const added = await register(name.value.trim());
      toast(`Passkey “${cleanName(added.name)}” added.`);
      await rerender();
    } catch (error) {
      errors.textContent = error.name === 'NotAllowedError' ? 'The passkey was not created (cancelled or timed out).' : describeError(error);
    }
  } } }, field('Name for the new passkey (optional)', name),
  h('button', { type: 'submit', class: 'primary', id: 'passkey-add', disabled: !supported }, 'Add a passkey'));

  function remove(passkey) {
    confirmDialog(`Remove “${cleanName(passkey.name)}”?`, 'It can no longer sign in to your account.', 'Remove passkey', async () => {
      await api('DELETE', `${BASE}/credentials/${passkey.id}`);
      toast('Passkey removed.');
      await rerender();
    });
  }

  replace(box,
    supported ? null : h('p', { class: 'notice' }, 'This browser cannot create passkeys.'),
    form, errors,
    dataTable('Your passkeys', [
      { label: 'Name', cell: (p) => cleanName(p.name) },
      { label: 'Created', cell: (p) => when(p.created_at) },
      { label: 'Added by', cell: (p) => addedBy(p, sessions) },
      { label: 'Last used', cell: (p) => when(p.last_used_at, 'never') },
      { label: 'Actions', cell: (p) => actions(button('Remove', () => remove(p), { class: 'link-button danger', 'aria-label': `Remove passkey ${cleanName(p.name)}` })) },
    ], passkeys, 'No passkeys yet.'));
}
