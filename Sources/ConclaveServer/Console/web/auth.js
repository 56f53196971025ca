// Sign-in (password, then TOTP or a backup code; or a passkey) and invite sign-up.
import { acceptInvite, adoptTokens, login, passkeyLogin, refresh, secondFactor } from './api.js';
import { button, field, h, replace } from './dom.js';
import { describeError, errorBox } from './dialogs.js';

function showError(box, error) {
  box.textContent = describeError(error);
}

function card(title, ...children) {
  return h('main', { id: 'main', class: 'auth', tabindex: '-1' },
    h('section', { class: 'auth-card', 'aria-labelledby': 'auth-title' },
      h('h1', { id: 'auth-title' }, title), ...children));
}

export function renderSignIn(root, { onSignedIn, notice } = {}) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, id: 'login-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, id: 'login-password' });
  const errors = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'stack', 'aria-label': 'Sign in', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    submit.disabled = true;
    try {
      const result = await login(email.value.trim(), password.value);
      password.value = '';
      if (result.mfa_required) renderSecondFactor(root, result, onSignedIn);
      else await onSignedIn();
    } catch (error) {
      showError(errors, error.status === 401 ? 'Wrong email or password.' : error);
    } finally {
      submit.disabled = false;
    }
  } } },
  field('Email', email), field('Password', password), errors, submit);
  const passkey = button('Sign in with a passkey', async () => {
    errors.textContent = '';
    try {
      await passkeyLogin(email.value.trim() || undefined);
      await onSignedIn();
    } catch (error) {
      showError(errors, error.name === 'NotAllowedError' ? 'The passkey sign-in was cancelled.' : error);
    }
  }, { id: 'passkey-sign-in', class: 'secondary' });
  replace(root, card('Sign in to Conclave', notice ? h('p', { class: 'notice' }, notice) : null, form,
    window.PublicKeyCredential ? h('div', { class: 'alt-sign-in' }, passkey) : null));
  email.focus();
}

function renderSecondFactor(root, challenge, onSignedIn) {
  const code = h('input', { name: 'code', autocomplete: 'one-time-code', inputmode: 'text', required: true, id: 'mfa-code', maxlength: 32 });
  const errors = errorBox();
  const form = h('form', { class: 'stack', 'aria-label': 'Second factor', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      await secondFactor(challenge.mfa_token, code.value.replace(/\s+/g, ''));
      await onSignedIn();
    } catch (error) {
      code.value = '';
      showError(errors, error.status === 401 ? 'That code was not accepted. Sign in again if this keeps happening.' : error);
    }
  } } },
  field('Authentication code', code, 'The 6-digit code from your authenticator app, or one of your backup codes.'),
  errors, h('button', { type: 'submit', class: 'primary' }, 'Verify'));
  replace(root, card('Two-step verification', form, button('Back to sign in', () => renderSignIn(root, { onSignedIn }), { class: 'link-button' })));
  code.focus();
}

export async function renderInvite(root, token, { onJoined }) {
  if (!token) {
    replace(root, card('Invite link incomplete', h('p', {}, 'This link has no invite token. Copy the whole link from the invitation and open it again.')));
    return;
  }
  let signedIn = false;
  try {
    await refresh();
    signedIn = true;
  } catch {
    signedIn = false;
  }
  const errors = errorBox();
  if (signedIn) {
    const join = button('Join the workspace', async () => {
      try {
        await acceptInvite(token);
        await onJoined();
      } catch (error) {
        showError(errors, inviteProblem(error));
      }
    }, { class: 'primary', id: 'accept-invite' });
    replace(root, card('You have been invited', h('p', {}, 'Join the workspace with the account you are signed in with.'), errors, join));
    join.focus();
    return;
  }
  const name = h('input', { name: 'name', autocomplete: 'name', maxlength: 80, id: 'signup-name' });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, id: 'signup-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128, id: 'signup-password' });
  const form = h('form', { class: 'stack', 'aria-label': 'Join with a new account', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      const result = await acceptInvite(token, { email: email.value.trim(), password: password.value, name: name.value.trim() || null });
      adoptTokens(result);
      password.value = '';
      await onJoined();
    } catch (error) {
      showError(errors, inviteProblem(error));
    }
  } } },
  field('Your name', name), field('Email', email),
  field('Password', password, 'At least 8 characters; not a common password.'),
  errors, h('button', { type: 'submit', class: 'primary' }, 'Create account and join'));
  replace(root, card('Join Conclave', h('p', {}, 'You have been invited to a workspace. Create your account to join.'), form,
    h('p', { class: 'hint' }, 'Already have an account? Enter its email and password above, or sign in first (needed when it uses two-step verification):'),
    button('Sign in, then join', () => renderSignIn(root, {
      notice: 'Sign in to accept the invite.',
      onSignedIn: () => renderInvite(root, token, { onJoined }),
    }), { class: 'secondary', id: 'invite-sign-in' })));
  name.focus();
}

function inviteProblem(error) {
  if (error.status === 404) return 'This invite link is not valid any more (expired, used up or revoked).';
  if (error.status === 409) return 'You are already a member of this workspace.';
  if (error.status === 401) return 'Wrong email or password for the existing account.';
  return error;
}
