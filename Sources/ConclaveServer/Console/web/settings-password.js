// Change password: the server ends every other session of the account.
import { api } from './api.js';
import { field, h, toast } from './dom.js';
import { describeError, errorBox } from './dialogs.js';

export function passwordSection() {
  const current = h('input', { type: 'password', name: 'current_password', id: 'password-current', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', id: 'password-new', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 });
  const repeat = h('input', { type: 'password', name: 'repeat_password', id: 'password-repeat', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 });
  const errors = errorBox();
  const result = h('p', { class: 'hint', role: 'status', id: 'password-result' });
  const form = h('form', { class: 'stack narrow', 'aria-labelledby': 'password-title', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    result.textContent = '';
    if (next.value !== repeat.value) {
      errors.textContent = 'The new passwords do not match.';
      return;
    }
    try {
      const changed = await api('POST', '/api/v1/auth/password', { current_password: current.value, new_password: next.value });
      const others = changed.sessions_revoked;
      result.textContent = `Password changed. ${others === 1 ? '1 other session was' : `${others} other sessions were`} signed out.`;
      toast('Password changed.');
    } catch (error) {
      errors.textContent = error.status === 403 ? 'The current password is wrong.' : describeError(error);
    } finally {
      current.value = '';
      next.value = '';
      repeat.value = '';
    }
  } } },
  field('Current password', current),
  field('New password', next, '8 to 128 characters; not a common password, and not containing your email or name.'),
  field('Repeat the new password', repeat),
  errors, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'change-password' }, 'Change password')), result);
  return h('section', { 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'Password'),
    h('p', { class: 'hint' }, 'Changing it signs out every other session of your account.'), form);
}
