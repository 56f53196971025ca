// The recent-sign-in rule: adding or removing a sign-in factor needs a session that proved the
// password in the last 10 minutes. When the server answers 403 reauthentication_required, ask
// for the current password and retry once with it in the body.
import { field, h } from './dom.js';
import { formDialog } from './dialogs.js';

function askPassword() {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true, id: 'reauth-password' });
    formDialog('Confirm it is you', [
      h('p', {}, 'You signed in more than 10 minutes ago. Enter your password to make this change.'),
      field("Your password", input),
    ], () => {
      const password = input.value;
      input.value = '';
      resolve(password);
    }, { submitLabel: 'Continue', onCancel: () => resolve(null) });
  });
}

// action(proof) does the request with proof ({} or { current_password }) spread into its body.
// Returns what action returned, and the proof used, so a second step can reuse it.
export async function withReauth(action) {
  try {
    return { result: await action({}), proof: {} };
  } catch (error) {
    if (!error.reauthenticationRequired) throw error;
    const password = await askPassword();
    if (password === null) throw new Error('Cancelled: this change needs your password.');
    const proof = { current_password: password };
    return { result: await action(proof), proof };
  }
}
